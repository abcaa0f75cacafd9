-- Engagement points per person, rule and evaluation moment, after decay, windows and caps.
-- Moments are the as-of moment (the current score) and every moment a signal with
-- positive points arrived (scores only rise when a signal arrives, so these are where a
-- person can cross the MQL or hot threshold). Only people with a profiling basis are
-- scored and only signals up to the moment count.
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

signals as (

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

),

moments as (

    select
        person_id,
        {{ as_of_timestamp() }} as evaluated_at,
        true as is_as_of

    from people

    union

    select
        person_id,
        occurred_at as evaluated_at,
        false as is_as_of

    from signals
    where points > 0 and occurred_at < {{ as_of_timestamp() }}

),

occurrences as (

    select
        moments.person_id,
        moments.evaluated_at,
        moments.is_as_of,
        signals.signal_type,
        signals.occurred_at,
        signals.max_points,
        {{ cap_period_start('signals', 'signals.occurred_at') }} as cap_period_start,
        -- Fixed-point points: sums of decimals do not depend on the order rows are added
        -- in (sums of doubles do, in the last bits), so every build gives the same scores.
        cast(
            {{ decayed_points('signals', 'signals.occurred_at', 'moments.evaluated_at') }}
            as decimal(18, 6)
        ) as points

    from moments
    inner join signals
        on
            moments.person_id = signals.person_id
            and moments.evaluated_at >= signals.occurred_at
    -- An occurrence older than its rule's window no longer counts at all.
    where
        signals.window_days is null
        or {{ days_between('signals.occurred_at', 'moments.evaluated_at') }} <= signals.window_days

),

per_period as (

    select
        person_id,
        evaluated_at,
        is_as_of,
        signal_type,
        {{ capped('sum(points)', 'cast(max(max_points) as decimal(18, 6))') }} as points,
        count(*) as signal_count,
        max(occurred_at) as last_signal_at

    from occurrences
    group by person_id, evaluated_at, is_as_of, signal_type, cap_period_start

),

final as (

    select
        person_id,
        evaluated_at,
        is_as_of,
        signal_type,
        cast(sum(points) as decimal(18, 6)) as points,
        cast(sum(signal_count) as {{ dbt.type_bigint() }}) as signal_count,
        max(last_signal_at) as last_signal_at

    from per_period
    group by person_id, evaluated_at, is_as_of, signal_type

)

select * from final
