-- The queue sales works from: marketing-qualified and sales-accepted/qualified people
-- who have a valid basis for sales contact, hottest first, with why they are here, how
-- long they have waited and whether the first-contact SLA is met.
with

people as (

    select * from {{ ref('dim_person') }}

),

definitions as (

    select * from {{ ref('int_person_definitions') }}

),

touches as (

    select * from {{ ref('int_sales_touches') }}

),

first_touch as (

    select
        people.person_id,
        min(touches.touched_at) as first_contact_at

    from people
    inner join touches
        on
            people.person_id = touches.person_id
            and people.stage_entered_at <= touches.touched_at
            and people.scored_at >= touches.touched_at
    group by people.person_id

),

queue as (

    select
        people.*,
        definitions.sla_first_contact_hours,
        first_touch.first_contact_at,
        {{ dbt.dateadd(
            'minute',
            'cast(definitions.sla_first_contact_hours * 60 as integer)',
            'people.stage_entered_at'
        ) }} as sla_due_at

    from people
    inner join definitions
        on people.person_id = definitions.person_id
    left join first_touch
        on people.person_id = first_touch.person_id
    where
        people.stage in ('mql', 'sal', 'sql')
        and people.has_sales_contact_consent

),

final as (

    select
        person_id,
        crm_contact_id,
        email,
        first_name,
        last_name,
        job_title,
        account_name,
        owner_id,
        stage,
        stage_entered_at,
        round({{ days_between('stage_entered_at', 'scored_at') }} * 24, 1) as hours_in_stage,
        temperature,
        total_score,
        fit_score,
        engagement_score,
        score_explanation,
        first_contact_at,
        sla_due_at,
        case
            when first_contact_at is not null and first_contact_at <= sla_due_at then 'met'
            when first_contact_at is not null then 'late'
            when scored_at <= sla_due_at then 'due'
            else 'overdue'
        end as sla_status,
        has_sales_contact_consent,
        lead_definition_name,
        lead_definition_version,
        scored_at

    from queue

)

select * from final
