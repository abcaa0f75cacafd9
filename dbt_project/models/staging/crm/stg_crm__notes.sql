{{ crm_engagement('notes', 'properties__hs_note_body') }}
