-- Nobody is in the e-mail audience without a current, valid basis for e-mail marketing by
-- e-mail, checked against the consent ledger's current state.
select audience.person_id

from {{ ref('rpt_email_audience') }} as audience
left join {{ ref('int_consent_current') }} as consent
    on
        audience.person_id = consent.person_id
        and consent.purpose = 'email_marketing'
        and consent.channel = 'email'
where not coalesce(consent.has_consent, false)
