-- Person and account facts in long form (one row per person and attribute), so the lead
-- definition's criteria are data: a new criterion on an existing attribute needs no SQL.
-- A person carries their own attributes and those of their matched account.
with

people as (

    select * from {{ ref('int_people_profiled') }}

),

account_attributes as (

    select * from {{ ref('int_account_attributes') }}

),

person_wide as (

    select
        person_id,
        job_function,
        seniority,
        is_competitor,
        account_id is not null as has_account

    from people

),

person_attributes as (

    {{ unpivot_attributes(
        'person_wide',
        'person_id',
        text=['job_function', 'seniority'],
        flags=['is_competitor', 'has_account']
    ) }}

),

final as (

    select * from person_attributes
    union all
    select
        people.person_id,
        account_attributes.attribute,
        account_attributes.value_text,
        account_attributes.value_number

    from people
    inner join account_attributes
        on people.account_id = account_attributes.account_id

)

select * from final
