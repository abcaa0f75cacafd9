-- The funnel by segment and cohort month (the month a person became a lead): for each
-- step lead → mql → sal → sql → opportunity → customer, how many reached the step (or
-- any later one), the conversion from the previous step and the average days it took.
with

transitions as (

    select * from {{ ref('fct_lead_stage_transition') }}

),

people as (

    select * from {{ ref('dim_person') }}

),

steps as (

    {% set funnel = ['lead', 'mql', 'sal', 'sql', 'opportunity', 'customer'] %}
    {% for stage in funnel %}
        select '{{ stage }}' as stage, {{ loop.index }} as step
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

entries as (

    select
        transitions.person_id,
        steps.step,
        min(transitions.entered_at) as entered_at

    from transitions
    inner join steps
        on transitions.stage = steps.stage
    group by transitions.person_id, steps.step

),

cohorts as (

    select
        entries.person_id,
        people.lead_definition_name,
        {{ dbt.date_trunc('month', 'entries.entered_at') }} as cohort_month,
        entries.entered_at as lead_at

    from entries
    inner join people
        on entries.person_id = people.person_id
    where entries.step = 1

),

reached as (

    select
        cohorts.person_id,
        max(entries.step) as furthest_step

    from cohorts
    inner join entries
        on cohorts.person_id = entries.person_id
    group by cohorts.person_id

),

per_step as (

    select
        cohorts.lead_definition_name,
        cohorts.cohort_month,
        steps.step,
        steps.stage,
        cast(sum(case when reached.furthest_step >= steps.step then 1 else 0 end) as {{ dbt.type_bigint() }})
            as people_reached,
        avg(
            case
                when entries.entered_at is not null
                    then {{ days_between('cohorts.lead_at', 'entries.entered_at') }}
            end
        ) as avg_days_from_lead

    from cohorts
    cross join steps
    inner join reached
        on cohorts.person_id = reached.person_id
    left join entries
        on
            cohorts.person_id = entries.person_id
            and steps.step = entries.step
    group by cohorts.lead_definition_name, cohorts.cohort_month, steps.step, steps.stage

),

final as (

    select
        lead_definition_name,
        cohort_month,
        step,
        stage,
        people_reached,
        lag(people_reached) over (
            partition by lead_definition_name, cohort_month order by step
        ) as people_at_previous_step,
        round(
            people_reached * 1.0 / nullif(lag(people_reached) over (
                partition by lead_definition_name, cohort_month order by step
            ), 0),
            4
        ) as conversion_from_previous,
        round(avg_days_from_lead, 1) as avg_days_from_lead,
        round(
            avg_days_from_lead - lag(avg_days_from_lead) over (
                partition by lead_definition_name, cohort_month order by step
            ),
            1
        ) as avg_days_from_previous

    from per_step

)

select * from final
