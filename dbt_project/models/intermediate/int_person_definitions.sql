-- Which lead definition scores each person: the one of their account's market segment
-- (see int_account_definitions), else the default definition (the one without a segment).
with

people as (

    select * from {{ ref('int_people_profiled') }}

),

account_definitions as (

    select * from {{ ref('int_account_definitions') }}

),

definitions as (

    select * from {{ ref('lead_thresholds') }}

),

default_definition as (

    select definition_name from definitions
    where segment_priority is null

),

assigned as (

    select
        people.person_id,
        coalesce(account_definitions.definition_name, default_definition.definition_name)
            as definition_name

    from people
    cross join default_definition
    left join account_definitions
        on people.account_id = account_definitions.account_id

),

final as (

    select
        assigned.person_id,
        assigned.definition_name,
        definitions.definition_version,
        definitions.segment_priority is not null as is_segment_definition,
        definitions.mql_score,
        definitions.mql_min_fit,
        definitions.warm_score,
        definitions.hot_score,
        definitions.sla_first_contact_hours

    from assigned
    inner join definitions
        on assigned.definition_name = definitions.definition_name

)

select * from final
