-- The consent ledger auditors read: every consent decision per person, purpose and
-- channel, with its lawful basis, where and when it was captured, the policy version shown,
-- the evidence id to look it up in the source system, and for a grant when (if ever) the
-- same identity withdrew it. The identity is pseudonymous (a hash), never the address.
-- The ledger is what was known at the as-of moment: decisions after it are left out
-- before a grant looks for its withdrawal, so a ledger built as of a past moment does not
-- show a grant withdrawn that was still standing then.
with

events as (

    select * from {{ ref('int_consent_events') }}
    where captured_at <= {{ as_of_timestamp() }}

),

with_next as (

    select
        *,
        lead(case when status = 'withdrawn' then captured_at end) over (
            partition by person_id, purpose, channel, identity_key
            order by captured_at, case when status = 'withdrawn' then 1 else 0 end
        ) as next_withdrawal_at

    from events

),

final as (

    select
        {{ dbt.hash(
            "person_id || '|' || purpose || '|' || channel || '|' || evidence_id || '|' "
            ~ "|| cast(captured_at as " ~ dbt.type_string() ~ ")"
        ) }} as consent_event_id,
        person_id,
        purpose,
        channel,
        status,
        lawful_basis,
        is_valid_basis,
        consent_source,
        captured_at,
        policy_version,
        evidence_id,
        {{ dbt.hash('identity_key') }} as identity_hash,
        case when status = 'granted' then next_withdrawal_at end as withdrawn_at

    from with_next

)

select * from final
