-- When each person had a valid basis for each purpose and channel: one row per period
-- [valid_from, valid_to) in which every identity's latest decision was a grant on a valid
-- basis (the same rule as int_consent_current, ties included, applied at every decision
-- moment). Scoring
-- uses the profiling periods, so activity before consent or after a withdrawal is not
-- scored.
with

events as (

    select * from {{ ref('int_consent_events') }}
    where captured_at <= {{ as_of_timestamp() }}

),

moments as (

    select distinct
        person_id,
        purpose,
        channel,
        captured_at as moment

    from events

),

state_at_moment as (

    select
        moments.person_id,
        moments.purpose,
        moments.channel,
        moments.moment,
        events.identity_key,
        events.status,
        events.is_valid_basis,
        row_number() over (
            partition by
                moments.person_id, moments.purpose, moments.channel, moments.moment,
                events.identity_key
            order by
                events.captured_at desc,
                case when events.status = 'withdrawn' then 0 else 1 end asc,
                case when events.is_valid_basis then 1 else 0 end asc,
                events.evidence_id asc
        ) as decision_rank

    from moments
    inner join events
        on
            moments.person_id = events.person_id
            and moments.purpose = events.purpose
            and moments.channel = events.channel
            and moments.moment >= events.captured_at

),

allowed_at_moment as (

    select
        person_id,
        purpose,
        channel,
        moment,
        min(case when status = 'granted' and is_valid_basis then 1 else 0 end) = 1 as is_allowed

    from state_at_moment
    where decision_rank = 1
    group by person_id, purpose, channel, moment

),

with_next as (

    select
        *,
        lead(moment) over (partition by person_id, purpose, channel order by moment) as next_moment

    from allowed_at_moment

),

final as (

    select
        person_id,
        purpose,
        channel,
        moment as valid_from,
        next_moment as valid_to

    from with_next
    where is_allowed

)

select * from final
