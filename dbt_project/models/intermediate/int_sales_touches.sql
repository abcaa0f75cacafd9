-- Every time sales reached out to a person, from CRM activities: calls, meetings
-- (webinars are marketing, not a sales touch) and logged one-to-one e-mails.
with

contact_ids as (

    select * from {{ ref('int_contact_ids_resolved') }}

),

activities as (

    select * from {{ ref('stg_crm__calls') }}
    union all
    select * from {{ ref('stg_crm__meetings') }}
    union all
    select * from {{ ref('stg_crm__emails') }}

),

final as (

    select distinct
        contact_ids.person_id,
        activities.engagement_id,
        activities.engagement_type as touch_type,
        activities.occurred_at as touched_at

    from activities
    inner join contact_ids
        on activities.contact_id = contact_ids.contact_id
    where
        coalesce(activities.activity_type, '') <> 'Webinar'
        and activities.occurred_at is not null

)

select * from final
