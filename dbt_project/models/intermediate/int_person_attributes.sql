-- Person and account facts in long form (one row per person and attribute), so the lead
-- definition's criteria are data: a new criterion on an existing attribute needs no SQL.
with

people as (

    select * from {{ ref('int_people_profiled') }}

),

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

joined as (

    select
        people.person_id,
        people.job_function,
        people.seniority,
        people.is_competitor,
        people.account_id is not null as has_account,
        accounts.industry,
        accounts.legal_form,
        accounts.vat_status,
        coalesce(accounts.is_in_liquidation, false) as is_in_liquidation,
        accounts.revenue_min_pln,
        accounts.headcount_min,
        accounts.branch_count,
        accounts.share_capital_pln,
        {{ dbt.datediff('accounts.registered_on', as_of_timestamp(), 'year') }}
            as company_age_years

    from people
    left join accounts
        on people.account_id = accounts.account_id

),

{% set text_attributes = ['industry', 'legal_form', 'vat_status', 'job_function', 'seniority'] %}
{% set flag_attributes = ['is_competitor', 'is_in_liquidation', 'has_account'] %}
{% set number_attributes = [
    'revenue_min_pln', 'headcount_min', 'branch_count', 'share_capital_pln', 'company_age_years'
] %}

final as (

    {% for attribute in text_attributes %}
        select
            person_id,
            '{{ attribute }}' as attribute,
            {{ attribute }} as value_text,
            cast(null as double) as value_number
        from joined
        union all
    {% endfor %}
    {% for attribute in flag_attributes %}
        select
            person_id,
            '{{ attribute }}' as attribute,
            case when {{ attribute }} then 'true' else 'false' end as value_text,
            cast(null as double) as value_number
        from joined
        union all
    {% endfor %}
    {% for attribute in number_attributes %}
        select
            person_id,
            '{{ attribute }}' as attribute,
            cast({{ attribute }} as {{ dbt.type_string() }}) as value_text,
            cast({{ attribute }} as double) as value_number
        from joined
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
