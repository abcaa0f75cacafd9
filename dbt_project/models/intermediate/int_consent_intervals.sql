-- When each person had a valid basis for each purpose and channel: one row per period
-- [valid_from, valid_to) in which every identity's latest decision was a grant on a valid
-- basis (the same rule as int_consent_current, ties included, applied at every decision
-- moment). Scoring uses the profiling periods, so activity before consent or after a
-- withdrawal is not scored.
--
-- Each identity's state changes only when it decides, so rather than looking back from
-- every moment at every earlier decision, each decision records how it changed the number
-- of the person's identities blocking the purpose and channel (+1, -1 or 0), and a running
-- sum over the moments gives that number at each: the basis is valid when it is zero.
with

events as (

    select * from {{ ref('int_consent_events') }}
    where captured_at <= {{ as_of_timestamp() }}

),

-- An identity's decisions at the same moment are ranked the cautious way (a withdrawal,
-- then a grant without a valid basis, then a valid grant, then the evidence id): the first
-- is its state from then on.
ranked as (

    select
        person_id,
        purpose,
        channel,
        identity_key,
        captured_at as moment,
        case when status = 'granted' and is_valid_basis then 0 else 1 end as is_blocking,
        row_number() over (
            partition by person_id, purpose, channel, identity_key, captured_at
            order by
                case when status = 'withdrawn' then 0 else 1 end asc,
                case when is_valid_basis then 1 else 0 end asc,
                evidence_id asc
        ) as decision_rank

    from events

),

identity_states as (

    select
        person_id,
        purpose,
        channel,
        moment,
        is_blocking
        - coalesce(
            lag(is_blocking) over (
                partition by person_id, purpose, channel, identity_key order by moment
            ),
            0
        ) as blocking_change

    from ranked
    where decision_rank = 1

),

changes_at_moment as (

    select
        person_id,
        purpose,
        channel,
        moment,
        sum(blocking_change) as blocking_change

    from identity_states
    group by person_id, purpose, channel, moment

),

allowed_at_moment as (

    select
        person_id,
        purpose,
        channel,
        moment,
        sum(blocking_change) over (
            partition by person_id, purpose, channel
            order by moment
            rows between unbounded preceding and current row
        ) = 0 as is_allowed

    from changes_at_moment

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
