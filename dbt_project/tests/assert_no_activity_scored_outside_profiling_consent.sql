-- Web visits before a person consented to profiling (or after a withdrawal) are not
-- scored: the latest signal behind every engagement contribution lies in a period in which
-- the person had a valid profiling basis.
with

contributions as (

    select * from {{ ref('int_lead_score_contributions') }}
    where rule_kind = 'engagement'

),

periods as (

    select * from {{ ref('int_consent_intervals') }}
    where purpose = 'profiling'

)

select
    contributions.person_id,
    contributions.rule_id,
    contributions.last_signal_at

from contributions
left join periods
    on
        contributions.person_id = periods.person_id
        and contributions.last_signal_at >= periods.valid_from
        and contributions.last_signal_at < {{ interval_end('periods.valid_to') }}
where periods.person_id is null
