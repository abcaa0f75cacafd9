-- When each person had a valid basis for each purpose and channel: one row per period
-- [valid_from, valid_to) in which the rule of int_consent_current held, applied at every
-- decision moment, ties included: every identity's latest decision on the channel is a
-- grant on a valid basis, and so is every identity's latest decision on any channel of
-- the purpose (a withdrawal on one channel of a purpose stops its other channels until
-- that identity grants the purpose again). Scoring uses the profiling periods, so activity
-- before consent or after a withdrawal is not scored.
--
-- Each identity's state changes only when it decides, so rather than looking back from
-- every moment at every earlier decision, each decision records how it changed the number
-- of the person's identities blocking the channel, and the purpose (+1, -1 or 0), and
-- running sums over the moments give both numbers at each: the basis is valid when both
-- are zero. A period runs until the next moment at which that changes.
--
-- Incremental by person (macros/incremental_by_person.sql), as int_consent_current: a
-- person's periods depend only on their consent events up to the as-of moment.
{{ incremental_by_person_config('events_fingerprint', 'valid_from') }}

with

all_events as (

    select * from {{ ref('int_consent_events') }}
    where captured_at <= {{ as_of_timestamp() }}

),

{{ changed_people_ctes(
    'all_events',
    ['purpose', 'channel', 'identity_key', 'status', 'is_valid_basis', 'captured_at'],
    'events_fingerprint',
    'events'
) }}

-- An identity's decisions on a channel at the same moment are ranked the cautious way (a
-- withdrawal, then a grant without a valid basis, then a valid grant): the first is its
-- state on the channel from then on, so it blocks when any of them does.
channel_decisions as (

    select
        person_id,
        purpose,
        channel,
        identity_key,
        captured_at as moment,
        max(case when status = 'granted' and is_valid_basis then 0 else 1 end) as is_blocking

    from events
    group by person_id, purpose, channel, identity_key, captured_at

),

channel_states as (

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

    from channel_decisions

),

channel_changes as (

    select
        person_id,
        purpose,
        channel,
        moment,
        blocking_change as channel_change,
        0 as purpose_change,
        1 as is_channel_decision

    from channel_states

),

-- A person's channels of a purpose. Where there are two or more, each also depends on the
-- purpose's state; with one, the purpose's state is the channel's and adds nothing.
channels as (

    select distinct
        person_id,
        purpose,
        channel

    from channel_decisions

),

purposes_with_channels as (

    select
        person_id,
        purpose

    from channels
    group by person_id, purpose
    having count(*) > 1

),

-- For the purpose, an identity's state is its latest decision on any channel; decisions
-- on two channels at one moment are ranked the cautious way as well, so it blocks when
-- either does.
purpose_decisions as (

    select
        channel_decisions.person_id,
        channel_decisions.purpose,
        channel_decisions.identity_key,
        channel_decisions.moment,
        max(channel_decisions.is_blocking) as is_blocking

    from channel_decisions
    inner join purposes_with_channels
        on
            channel_decisions.person_id = purposes_with_channels.person_id
            and channel_decisions.purpose = purposes_with_channels.purpose
    group by
        channel_decisions.person_id,
        channel_decisions.purpose,
        channel_decisions.identity_key,
        channel_decisions.moment

),

purpose_states as (

    select
        person_id,
        purpose,
        moment,
        is_blocking
        - coalesce(
            lag(is_blocking) over (
                partition by person_id, purpose, identity_key order by moment
            ),
            0
        ) as blocking_change

    from purpose_decisions

),

-- Every channel of the purpose sees every change of the purpose's state. Changes at one
-- moment are rows of their own and counted together below.
changes as (

    select * from channel_changes

    union all

    select
        channels.person_id,
        channels.purpose,
        channels.channel,
        purpose_states.moment,
        0 as channel_change,
        purpose_states.blocking_change as purpose_change,
        0 as is_channel_decision

    from purpose_states
    inner join channels
        on
            purpose_states.person_id = channels.person_id
            and purpose_states.purpose = channels.purpose

),

-- A channel has a basis only from its first decision on, while nobody blocks it or the
-- purpose.
allowed_at_moment as (

    select
        person_id,
        purpose,
        channel,
        moment,
        sum(is_channel_decision) over running > 0
        and sum(channel_change) over running = 0
        and sum(purpose_change) over running = 0 as is_allowed

    from changes
    -- The frame ends with the moment's last change: changes at one moment count together.
    window running as (partition by person_id, purpose, channel order by moment)

),

-- Only the moments at which the answer changes bound a period.
turns as (

    select
        *,
        lag(is_allowed) over (partition by person_id, purpose, channel order by moment)
            as was_allowed

    from allowed_at_moment

),

with_next as (

    select
        person_id,
        purpose,
        channel,
        moment,
        is_allowed,
        lead(moment) over (partition by person_id, purpose, channel order by moment) as next_moment

    from turns
    where was_allowed is null or was_allowed <> is_allowed

),

final as (

    select
        with_next.person_id,
        with_next.purpose,
        with_next.channel,
        with_next.moment as valid_from,
        with_next.next_moment as valid_to,
        recomputed.events_fingerprint

    from with_next
    inner join recomputed
        on with_next.person_id = recomputed.person_id
    where with_next.is_allowed

)

select * from final
{{ person_placeholders(['purpose', 'channel', 'valid_from', 'valid_to', 'events_fingerprint']) }}
