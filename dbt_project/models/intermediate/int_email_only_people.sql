-- People known by an e-mail address but not (yet) in the CRM: the address came with a
-- Segment identify call or form (identify traits) or as a SendGrid recipient. Each gets
-- a person_id from the address. Addresses any CRM contact has (shared inboxes included)
-- and role mailboxes (biuro@, office@ ...) never make a person here. When the CRM later
-- learns the address, the person becomes that contact's person.
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where email is not null

),

web as (

    select * from {{ ref('stg_web_analytics__events') }}
    where traits_email is not null

),

email_events as (

    select * from {{ ref('stg_email__events') }}
    where email is not null

),

role_mailboxes as (

    select * from {{ ref('role_mailboxes') }}

),

seen as (

    select
        traits_email as email,
        occurred_at,
        'segment_identify_email' as link_method

    from web

    union all

    select
        email,
        occurred_at,
        'email_recipient' as link_method

    from email_events

),

first_seen as (

    select
        email,
        link_method,
        occurred_at,
        row_number() over (partition by email order by occurred_at, link_method) as seen_rank

    from seen

),

final as (

    select
        {{ dbt.hash("'email:' || first_seen.email") }} as person_id,
        first_seen.email,
        first_seen.link_method,
        first_seen.occurred_at as first_seen_at

    from first_seen
    left join contacts
        on first_seen.email = contacts.email
    left join role_mailboxes
        on {{ dbt.split_part('first_seen.email', "'@'", 1) }} = role_mailboxes.local_part
    where
        first_seen.seen_rank = 1
        and contacts.email is null
        and role_mailboxes.local_part is null
        and first_seen.email like '%_@_%._%'

)

select * from final
