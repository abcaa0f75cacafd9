-- Segment anonymousId -> person, from the first call that names the person: a userId that
-- is a CRM contact id (merged-away ids included) or identify traits with a known e-mail.
-- All the visitor's history, before identification too, then belongs to that person.
with

events as (

    select * from {{ ref('stg_web_analytics__events') }}
    where
        anonymous_id is not null
        and (user_id is not null or traits_email is not null)

),

contact_ids as (

    select * from {{ ref('int_contact_ids_resolved') }}

),

emails as (

    select * from {{ ref('int_email_addresses_resolved') }}

),

by_user_id as (

    select
        events.anonymous_id,
        contact_ids.person_id,
        events.occurred_at,
        'segment_user_id' as link_method

    from events
    inner join contact_ids
        on events.user_id = contact_ids.contact_id

),

by_email as (

    select
        events.anonymous_id,
        emails.person_id,
        events.occurred_at,
        'identify_traits_email' as link_method

    from events
    inner join emails
        on events.traits_email = emails.email

),

candidates as (

    select * from by_user_id
    union all
    select * from by_email

),

ranked as (

    select
        *,
        row_number() over (
            partition by anonymous_id
            order by occurred_at asc, link_method desc, person_id asc
        ) as link_rank

    from candidates

),

final as (

    select
        anonymous_id,
        person_id,
        link_method,
        occurred_at as identified_at

    from ranked
    where link_rank = 1

)

select * from final
