-- Profiling without a basis is unlawful: no score contribution may exist for a person
-- whose profiling consent is missing or withdrawn now.
with

consent as (

    select
        person_id,
        max(case when has_consent then 1 else 0 end) = 1 as has_consent

    from {{ ref('int_consent_current') }}
    where purpose = 'profiling'
    group by person_id

)

select contributions.person_id

from {{ ref('int_lead_score_contributions') }} as contributions
left join consent
    on contributions.person_id = consent.person_id
where not coalesce(consent.has_consent, false)
