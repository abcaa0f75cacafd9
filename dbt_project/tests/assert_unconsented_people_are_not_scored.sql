-- Profiling without a basis is unlawful: no score contribution may exist for a person
-- whose profiling consent is missing or withdrawn.
select contributions.person_id

from {{ ref('int_lead_score_contributions') }} as contributions
left join {{ ref('int_consent_current') }} as consent
    on
        contributions.person_id = consent.person_id
        and consent.purpose = 'profiling'
where not coalesce(consent.has_consent, false)
