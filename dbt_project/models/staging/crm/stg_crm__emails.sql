{{ crm_engagement('emails', 'properties__hs_email_subject') }}
