-- One row per account (CRM company, enriched from the registries): master data, the
-- market segment, an account score rolled up from its people, and a refer score for
-- organisational maturity, trust and technology from the definition's refer criteria.
with

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

account_definitions as (

    select * from {{ ref('int_account_definitions') }}

),

account_attributes as (

    select * from {{ ref('int_account_attributes') }}

),

refer_criteria as (

    select * from {{ ref('lead_refer_criteria') }}

),

definitions as (

    select * from {{ ref('lead_thresholds') }}

),

people as (

    select * from {{ ref('dim_person') }}
    where account_id is not null

),

ranked_people as (

    select
        account_id,
        total_score,
        stage,
        temperature,
        row_number() over (
            partition by account_id order by total_score desc, person_id asc
        ) as score_rank

    from people

),

people_rollup as (

    select
        account_id,
        count(*) as known_people,
        cast(sum(case when stage in ('mql', 'sal', 'sql') then 1 else 0 end) as {{ dbt.type_bigint() }})
            as sales_ready_people,
        cast(sum(case when temperature = 'hot' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as hot_people,
        cast(sum(case when stage = 'customer' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as customer_people,
        max(total_score) as best_person_score,
        -- The best person's score plus a quarter of everyone else's: a buying committee
        -- that engages together is worth more than one keen reader.
        max(case when score_rank = 1 then total_score else 0 end)
        + 0.25 * sum(case when score_rank > 1 and total_score > 0 then total_score else 0 end)
            as account_score

    from ranked_people
    group by account_id

),

refer_matches as (

    select
        account_attributes.account_id,
        refer_criteria.dimension,
        refer_criteria.criterion_id,
        refer_criteria.points

    from account_attributes
    inner join account_definitions
        on account_attributes.account_id = account_definitions.account_id
    inner join refer_criteria
        on
            account_definitions.definition_name = refer_criteria.definition_name
            and account_attributes.attribute = refer_criteria.attribute
    where {{ criterion_matches('account_attributes', 'refer_criteria') }}

),

refer_scores as (

    select
        account_id,
        cast(sum(points) as {{ dbt.type_bigint() }}) as refer_score,
        cast(sum(case when dimension = 'maturity' then points else 0 end) as {{ dbt.type_bigint() }})
            as refer_maturity_score,
        cast(sum(case when dimension = 'trust' then points else 0 end) as {{ dbt.type_bigint() }})
            as refer_trust_score,
        cast(sum(case when dimension = 'technology' then points else 0 end) as {{ dbt.type_bigint() }})
            as refer_technology_score,
        {{ dbt.listagg("criterion_id", "', '", "order by criterion_id") }} as refer_explanation

    from refer_matches
    group by account_id

),

final as (

    select
        accounts.account_id,
        accounts.account_name,
        accounts.nip,
        {{ nip_is_valid('accounts.nip') }} as has_valid_nip,
        accounts.regon,
        {{ regon_is_valid('accounts.regon') }} as has_valid_regon,
        accounts.krs,
        accounts.uk_company_number,
        accounts.legal_form,
        accounts.industry,
        accounts.revenue_band,
        accounts.headcount_band,
        accounts.branch_count,
        accounts.vat_status,
        coalesce(accounts.is_in_liquidation, false) as is_in_liquidation,
        coalesce(accounts.is_dissolved, false) as is_dissolved,
        accounts.web_domain,
        account_definitions.definition_name as lead_definition_name,
        definitions.definition_version as lead_definition_version,
        coalesce(people_rollup.known_people, 0) as known_people,
        coalesce(people_rollup.sales_ready_people, 0) as sales_ready_people,
        coalesce(people_rollup.hot_people, 0) as hot_people,
        coalesce(people_rollup.customer_people, 0) as customer_people,
        round(coalesce(people_rollup.best_person_score, 0), 1) as best_person_score,
        round(coalesce(people_rollup.account_score, 0), 1) as account_score,
        coalesce(refer_scores.refer_score, 0) as refer_score,
        coalesce(refer_scores.refer_maturity_score, 0) as refer_maturity_score,
        coalesce(refer_scores.refer_trust_score, 0) as refer_trust_score,
        coalesce(refer_scores.refer_technology_score, 0) as refer_technology_score,
        refer_scores.refer_explanation,
        {{ as_of_timestamp() }} as scored_at

    from accounts
    inner join account_definitions
        on accounts.account_id = account_definitions.account_id
    inner join definitions
        on account_definitions.definition_name = definitions.definition_name
    left join people_rollup
        on accounts.account_id = people_rollup.account_id
    left join refer_scores
        on accounts.account_id = refer_scores.account_id

)

select * from final
