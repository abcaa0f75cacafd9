{{ crm_engagement('calls', 'properties__hs_call_title') }}
