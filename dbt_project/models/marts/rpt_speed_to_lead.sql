-- Speed to lead: every time a person turned hot (dated at the signal that made them hot),
-- when sales first reached out after it, and whether that was within the definition's
-- first-contact SLA (default one hour). Open episodes still inside the SLA are "due".
with

hot_episodes as (

    select * from {{ ref('int_lead_hot_episodes') }}

),

touches as (

    select * from {{ ref('int_sales_touches') }}

),

definitions as (

    select * from {{ ref('int_person_definitions') }}

),

people as (

    select * from {{ ref('dim_person') }}

),

first_touches as (

    select
        hot_episodes.person_id,
        hot_episodes.became_hot_at,
        min(touches.touched_at) as first_contact_at

    from hot_episodes
    inner join touches
        on
            hot_episodes.person_id = touches.person_id
            and hot_episodes.became_hot_at <= touches.touched_at
            and touches.touched_at <= {{ as_of_timestamp() }}
    group by hot_episodes.person_id, hot_episodes.became_hot_at

),

measured as (

    select
        hot_episodes.person_id,
        hot_episodes.became_hot_at,
        hot_episodes.score_when_hot,
        hot_episodes.cooled_at,
        first_touches.first_contact_at,
        definitions.sla_first_contact_hours,
        {{ days_between('hot_episodes.became_hot_at', 'first_touches.first_contact_at') }} * 24
            as hours_to_first_contact,
        {{ days_between('hot_episodes.became_hot_at', as_of_timestamp()) }} * 24 as hours_since_hot

    from hot_episodes
    inner join definitions
        on hot_episodes.person_id = definitions.person_id
    left join first_touches
        on
            hot_episodes.person_id = first_touches.person_id
            and hot_episodes.became_hot_at = first_touches.became_hot_at

),

final as (

    select
        measured.person_id,
        people.owner_id,
        people.stage,
        people.has_sales_contact_consent,
        measured.became_hot_at,
        round(measured.score_when_hot, 1) as score_when_hot,
        measured.cooled_at,
        measured.first_contact_at,
        round(measured.hours_to_first_contact, 2) as hours_to_first_contact,
        measured.sla_first_contact_hours,
        case
            when measured.hours_to_first_contact <= measured.sla_first_contact_hours then 'met'
            when measured.first_contact_at is not null then 'late'
            when measured.hours_since_hot <= measured.sla_first_contact_hours then 'due'
            else 'missed'
        end as sla_status,
        {{ dbt.date_trunc('month', 'measured.became_hot_at') }} as hot_month,
        people.lead_definition_name,
        people.lead_definition_version,
        people.scored_at

    from measured
    inner join people
        on measured.person_id = people.person_id

)

select * from final
