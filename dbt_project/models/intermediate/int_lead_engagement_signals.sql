-- The signals scoring counts, with the rule that scores each one: only people with a
-- profiling basis, only what happened while that basis was valid, only up to the as-of
-- moment, and only signal types their lead definition has a rule for.
with

people as (

    select person_id from {{ ref('int_people_profiled') }}
    where has_profiling_consent

),

person_definitions as (

    select * from {{ ref('int_person_definitions') }}

),

rules as (

    select * from {{ ref('lead_engagement_rules') }}

),

profiling_periods as (

    select * from {{ ref('int_consent_intervals') }}
    where purpose = 'profiling'

),

final as (

    select
        signals.person_id,
        signals.signal_type,
        signals.occurred_at,
        rules.points,
        rules.half_life_days,
        rules.window_days,
        rules.max_points,
        rules.cap_period

    from {{ ref('int_signals_unioned') }} as signals
    inner join people
        on signals.person_id = people.person_id
    inner join person_definitions
        on signals.person_id = person_definitions.person_id
    inner join rules
        on
            person_definitions.definition_name = rules.definition_name
            and signals.signal_type = rules.signal_type
    -- Only what happened while the person had a valid basis for profiling is scored.
    inner join profiling_periods
        on
            signals.person_id = profiling_periods.person_id
            and signals.occurred_at >= profiling_periods.valid_from
            and signals.occurred_at < {{ interval_end('profiling_periods.valid_to') }}
    where signals.occurred_at <= {{ as_of_timestamp() }}

)

select * from final
