-- Consent per person, purpose and channel as of the as-of moment (default: now). For each
-- of the person's identities the latest decision counts; the person may be processed for
-- the purpose only when every identity's latest decision is a grant on a valid lawful
-- basis. So a withdrawal (an unsubscribe, a spam report, a "no" in the CRM or the cookie
-- banner) on any identity wins, also after contacts are merged; a new grant on the same
-- identity lifts it. Consent is given for a purpose: a withdrawal on one channel of a
-- purpose (e.g. "Sales outreach" by e-mail) also stops its other channels (phone) unless
-- that identity granted the purpose again later. Decisions of one identity at the same
-- moment are ranked the cautious way: a withdrawal first, then a grant without a valid
-- basis, then a valid grant (then the evidence id, so every build decides alike).
--
-- Incremental by person (macros/incremental_by_person.sql): a person's rows depend only on
-- their consent events up to the as-of moment, fingerprinted by every column the rule
-- reads, so a build recomputes only the people with a new or late decision, a changed
-- purpose or lawful-basis seed, an identity a merge moved, or an as-of moment that lets a
-- decision in or keeps one out.
{{ incremental_by_person_config('events_fingerprint', 'purpose') }}

with

all_events as (

    select * from {{ ref('int_consent_events') }}
    where captured_at <= {{ as_of_timestamp() }}

),

{{ changed_people_ctes(
    'all_events',
    [
        'purpose', 'channel', 'identity_key', 'status', 'is_valid_basis', 'captured_at',
        'evidence_id', 'lawful_basis', 'consent_source', 'policy_version'
    ],
    'events_fingerprint',
    'events'
) }}

latest_per_identity as (

    select
        *,
        row_number() over (
            partition by person_id, purpose, channel, identity_key
            order by
                captured_at desc,
                case when status = 'withdrawn' then 0 else 1 end asc,
                case when is_valid_basis then 1 else 0 end asc,
                evidence_id asc
        ) as decision_rank

    from events

),

decisions as (

    select * from latest_per_identity
    where decision_rank = 1

),

-- An identity's latest decision for a purpose is the latest of its decisions per channel
-- (a withdrawal still wins a tie, as within a channel), so it is ranked among those rather
-- than among all events: at 1 M people that is a million fewer rows to sort.
latest_per_identity_and_purpose as (

    select
        person_id,
        purpose,
        status,
        is_valid_basis,
        row_number() over (
            partition by person_id, purpose, identity_key
            order by
                captured_at desc,
                case when status = 'withdrawn' then 0 else 1 end asc,
                case when is_valid_basis then 1 else 0 end asc,
                evidence_id asc
        ) as decision_rank

    from decisions

),

purpose_allowed as (

    select
        person_id,
        purpose,
        min(case when status = 'granted' and is_valid_basis then 1 else 0 end) = 1 as is_allowed

    from latest_per_identity_and_purpose
    where decision_rank = 1
    group by person_id, purpose

),

latest_grant as (

    select
        person_id,
        purpose,
        channel,
        lawful_basis,
        consent_source,
        policy_version,
        evidence_id,
        row_number() over (
            partition by person_id, purpose, channel order by captured_at desc, evidence_id asc
        ) as grant_rank

    from decisions
    where status = 'granted' and is_valid_basis

),

final as (

    select
        decisions.person_id,
        decisions.purpose,
        decisions.channel,
        min(
            case when decisions.status = 'granted' and decisions.is_valid_basis then 1 else 0 end
        ) = 1
        and max(case when purpose_allowed.is_allowed then 1 else 0 end) = 1 as has_consent,
        max(case when decisions.status = 'granted' then decisions.captured_at end)
            as consent_given_at,
        max(case when decisions.status = 'withdrawn' then decisions.captured_at end)
            as consent_withdrawn_at,
        max(latest_grant.lawful_basis) as lawful_basis,
        max(latest_grant.consent_source) as consent_source,
        max(latest_grant.policy_version) as policy_version,
        max(latest_grant.evidence_id) as evidence_id,
        count(*) as identities

    from decisions
    inner join purpose_allowed
        on
            decisions.person_id = purpose_allowed.person_id
            and decisions.purpose = purpose_allowed.purpose
    left join latest_grant
        on
            decisions.person_id = latest_grant.person_id
            and decisions.purpose = latest_grant.purpose
            and decisions.channel = latest_grant.channel
            and latest_grant.grant_rank = 1
    group by decisions.person_id, decisions.purpose, decisions.channel

)

select
    final.*,
    recomputed.events_fingerprint

from final
inner join recomputed
    on final.person_id = recomputed.person_id

{{ person_placeholders([
    'purpose', 'channel', 'has_consent', 'consent_given_at', 'consent_withdrawn_at',
    'lawful_basis', 'consent_source', 'policy_version', 'evidence_id', 'identities',
    'events_fingerprint'
]) }}
