-- Current consent per person and purpose. A purpose is allowed when the latest CRM
-- subscription status is SUBSCRIBED on a valid lawful basis and no later e-mail
-- unsubscribe or spam report withdrew it (those withdraw e-mail marketing).
with

statuses as (

    select * from {{ ref('stg_crm__subscription_statuses') }}

),

purposes as (

    select * from {{ ref('consent_purposes') }}

),

lawful_bases as (

    select * from {{ ref('lawful_bases') }}

),

emails as (

    select * from {{ ref('int_email_addresses_resolved') }}

),

email_withdrawals as (

    select
        email,
        min(occurred_at) as withdrawn_at

    from {{ ref('stg_email__events') }}
    where event_type in ('unsubscribe', 'group_unsubscribe', 'spamreport')
    group by email

),

ranked as (

    select
        emails.person_id,
        purposes.purpose,
        purposes.channel,
        statuses.subscription_status,
        statuses.status_changed_at,
        statuses.source_of_status,
        lawful_bases.lawful_basis,
        coalesce(lawful_bases.is_valid_basis, false) as is_valid_basis,
        statuses.email,
        row_number() over (
            partition by emails.person_id, purposes.purpose
            order by statuses.status_changed_at desc, statuses.subscription_status asc
        ) as status_rank

    from statuses
    inner join emails
        on statuses.email = emails.email
    inner join purposes
        on statuses.subscription_name = purposes.subscription_name
    left join lawful_bases
        on statuses.hubspot_legal_basis = lawful_bases.hubspot_legal_basis

),

final as (

    select
        ranked.person_id,
        ranked.purpose,
        ranked.channel,
        ranked.lawful_basis,
        'crm_subscription_status' as consent_source,
        case when ranked.subscription_status = 'SUBSCRIBED' then ranked.status_changed_at end
            as consent_given_at,
        case
            when ranked.subscription_status <> 'SUBSCRIBED' then ranked.status_changed_at
            when
                ranked.purpose = 'email_marketing'
                and email_withdrawals.withdrawn_at > ranked.status_changed_at
                then email_withdrawals.withdrawn_at
        end as consent_withdrawn_at,
        ranked.subscription_status = 'SUBSCRIBED'
        and ranked.is_valid_basis
        and not (
            ranked.purpose = 'email_marketing'
            and coalesce(email_withdrawals.withdrawn_at > ranked.status_changed_at, false)
        ) as has_consent

    from ranked
    left join email_withdrawals
        on ranked.email = email_withdrawals.email
    where ranked.status_rank = 1

)

select * from final
