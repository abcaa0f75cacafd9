{{ crm_engagement('meetings', 'properties__hs_meeting_title') }}
