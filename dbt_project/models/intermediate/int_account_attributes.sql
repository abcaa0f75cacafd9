-- Account facts in long form (one row per account and attribute): registry master data
-- plus what the account's people did. Segment filters, fit criteria and the refer score
-- test these rows.
with

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

people as (

    select * from {{ ref('int_people_profiled') }}

),

signals as (

    select * from {{ ref('int_signals_unioned') }}

),

people_per_account as (

    select
        account_id,
        count(*) as known_people

    from people
    where account_id is not null
    group by account_id

),

implementation_reading as (

    select
        people.account_id,
        count(*) as implementation_page_views

    from signals
    inner join people
        on signals.person_id = people.person_id
    where
        signals.signal_type = 'page_view_implementation'
        and signals.occurred_at <= {{ as_of_timestamp() }}
        and people.account_id is not null
    group by people.account_id

),

wide as (

    select
        accounts.account_id,
        accounts.industry,
        accounts.legal_form,
        accounts.vat_status,
        coalesce(accounts.is_in_liquidation, false) as is_in_liquidation,
        coalesce(accounts.is_in_bankruptcy, false) as is_in_bankruptcy,
        coalesce(accounts.is_dissolved, false) as is_dissolved,
        coalesce(accounts.has_registry_record, false) as has_registry_record,
        accounts.web_domain is not null as has_web_domain,
        accounts.revenue_min_pln,
        accounts.headcount_min,
        accounts.branch_count,
        accounts.share_capital_pln,
        {{ dbt.datediff('accounts.registered_on', as_of_timestamp(), 'year') }}
            as company_age_years,
        coalesce(people_per_account.known_people, 0) as known_people,
        coalesce(implementation_reading.implementation_page_views, 0)
            as implementation_page_views

    from accounts
    left join people_per_account
        on accounts.account_id = people_per_account.account_id
    left join implementation_reading
        on accounts.account_id = implementation_reading.account_id

),

final as (

    {{ unpivot_attributes(
        'wide',
        'account_id',
        text=['industry', 'legal_form', 'vat_status'],
        flags=[
            'is_in_liquidation', 'is_in_bankruptcy', 'is_dissolved', 'has_registry_record',
            'has_web_domain'
        ],
        numbers=[
            'revenue_min_pln', 'headcount_min', 'branch_count', 'share_capital_pln',
            'company_age_years', 'known_people', 'implementation_page_views'
        ]
    ) }}

)

select * from final
