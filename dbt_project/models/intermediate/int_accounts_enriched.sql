-- CRM companies joined to registry master data: by NIP when the CRM has one, else by web
-- domain. Registry values take precedence over CRM values for legal facts.
with

companies as (

    select * from {{ ref('stg_crm__companies') }}
    where not is_archived

),

registry as (

    select * from {{ ref('stg_company_registry__firmographics') }}

),

industries as (

    select * from {{ ref('pkd_industries') }}

),

revenue_bands as (

    select * from {{ ref('revenue_bands') }}

),

headcount_bands as (

    select * from {{ ref('headcount_bands') }}

),

matched as (

    select
        companies.*,
        coalesce(by_nip.nip, by_domain.nip) as registry_nip,
        case
            when by_nip.nip is not null then 'nip'
            when by_domain.nip is not null then 'web_domain'
        end as registry_match_method

    from companies
    left join registry as by_nip
        on companies.nip = by_nip.nip
    left join registry as by_domain
        on
            companies.nip is null
            and companies.web_domain = by_domain.web_domain

),

final as (

    select
        matched.company_id as account_id,
        coalesce(registry.legal_name, matched.company_name) as account_name,
        matched.web_domain,
        coalesce(registry.nip, matched.nip) as nip,
        registry.regon,
        registry.krs,
        registry.legal_form,
        registry.pkd_code,
        coalesce(industries.industry, 'unknown') as industry,
        registry.registered_on,
        registry.share_capital_pln,
        registry.headcount_band,
        headcount_bands.headcount_min,
        registry.revenue_band,
        revenue_bands.revenue_min_pln,
        coalesce(registry.branch_count, 0) as branch_count,
        registry.vat_status,
        coalesce(registry.is_in_liquidation, false) as is_in_liquidation,
        matched.registry_match_method,
        matched.registry_nip is not null as has_registry_record

    from matched
    left join registry
        on matched.registry_nip = registry.nip
    left join industries
        on registry.pkd_division = industries.pkd_division
    left join revenue_bands
        on registry.revenue_band = revenue_bands.revenue_band
    left join headcount_bands
        on registry.headcount_band = headcount_bands.headcount_band

)

select * from final
