-- The account golden record: one row per CRM company, joined to every registry source.
-- A company is found in the registries by the NIP the CRM holds, else by its web domain in
-- the firmographics feed. Precedence per field, most authoritative first:
--   legal name, legal form, KRS, registration date, share capital, PKD:
--       KRS extract > GUS REGON report > Companies House (UK) > firmographics feed >
--       purchased feed > CRM  (UK accounts are found by the CRM's company number)
--   REGON: KRS extract > REGON report > feed;  VAT status: VAT White List (latest answer,
--       its requestId kept as proof) > feed;  headcount, revenue, branches: feed > purchased
--   web domain: CRM > feed > purchased;  liquidation: any source says so.
-- Each source's as-of date is carried so a reader can judge freshness.
with

companies as (

    select * from {{ ref('stg_crm__companies') }}
    where not is_archived

),

feed as (

    select * from {{ ref('stg_company_registry__firmographics') }}

),

purchased as (

    select * from {{ ref('stg_company_registry__purchased_firmographics') }}

),

krs_ranked as (

    -- One KRS entry per NIP. An entity that is transformed or registered again keeps its
    -- NIP under a new KRS number, and extracts of both may be loaded: the newest
    -- registration is the current entity (then the latest extract, then the number, so
    -- the choice never depends on load order). Two entries would give the account two rows.
    select
        *,
        row_number() over (
            partition by nip order by registered_on desc, extract_as_of desc, krs desc
        ) as entry_rank

    from {{ ref('stg_company_registry__krs_extracts') }}
    where nip is not null

),

krs as (

    select * from krs_ranked
    where entry_rank = 1

),

regon as (

    select * from {{ ref('stg_company_registry__regon_reports') }}

),

whitelist_ranked as (

    select
        *,
        row_number() over (
            partition by nip order by whitelist_requested_at desc, whitelist_request_id asc
        ) as answer_rank

    from {{ ref('stg_company_registry__vat_whitelist_subjects') }}

),

whitelist as (

    select * from whitelist_ranked
    where answer_rank = 1

),

industries as (

    select * from {{ ref('industry_codes') }}

),

companies_house as (

    select * from {{ ref('stg_company_registry__companies_house_profiles') }}

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
        coalesce(companies.nip, by_domain.nip) as registry_nip,
        case
            when companies.nip is not null then 'crm_nip'
            when by_domain.nip is not null then 'web_domain'
            when companies.uk_company_number is not null then 'crm_company_number'
        end as registry_match_method

    -- Only a company without a NIP is matched by its web domain. One comparison (a null
    -- never matches) keeps this a hash join; `nip is null and ...` in a left join's
    -- condition would make the engine compare every company with every feed row.
    from companies
    left join feed as by_domain
        on
            case when companies.nip is null then companies.web_domain end
            = by_domain.web_domain

),

joined as (

    select
        matched.company_id as account_id,
        matched.registry_nip as nip,
        matched.registry_match_method,
        coalesce(
            krs.legal_name, regon.legal_name, companies_house.legal_name, whitelist.legal_name,
            feed.legal_name, purchased.legal_name, matched.company_name
        ) as account_name,
        coalesce(krs.regon, regon.regon, feed.regon, whitelist.regon) as regon,
        coalesce(krs.krs, feed.krs, whitelist.krs) as krs,
        matched.uk_company_number,
        coalesce(krs.legal_form, regon.legal_form, companies_house.legal_form, feed.legal_form)
            as legal_form,
        coalesce(krs.pkd_code, feed.pkd_code) as pkd_code,
        {{ dbt.split_part('companies_house.sic_codes', "','", 1) }} as sic_code,
        coalesce(
            krs.registered_on, regon.activity_started_on, companies_house.registered_on,
            feed.registered_on
        ) as registered_on,
        coalesce({{ lenient_cast('krs.share_capital_pln', 'bigint') }}, feed.share_capital_pln)
            as share_capital_pln,
        coalesce(feed.headcount_band, purchased.headcount_band) as headcount_band,
        coalesce(feed.revenue_band, purchased.revenue_band) as revenue_band,
        coalesce(feed.branch_count, purchased.branch_count, 0) as branch_count,
        coalesce(whitelist.vat_status, feed.vat_status) as vat_status,
        whitelist.whitelist_request_id as vat_status_proof_request_id,
        coalesce(krs.is_in_liquidation, false)
        or coalesce(feed.is_in_liquidation, false)
        or coalesce(companies_house.is_in_liquidation, false) as is_in_liquidation,
        coalesce(krs.is_in_bankruptcy, false) as is_in_bankruptcy,
        coalesce(regon.has_ceased_activity, false)
        or coalesce(companies_house.is_dissolved, false) as is_dissolved,
        coalesce(matched.web_domain, feed.web_domain, purchased.web_domain) as web_domain,
        krs.extract_as_of as krs_as_of,
        feed.registry_as_of as firmographics_as_of,
        purchased.vendor_as_of as purchased_as_of,
        whitelist.whitelist_requested_at as vat_checked_at,
        krs.krs is not null
        or regon.regon is not null
        or feed.nip is not null
        or purchased.nip is not null
        or whitelist.nip is not null
        or companies_house.company_number is not null as has_registry_record

    from matched
    left join feed
        on matched.registry_nip = feed.nip
    left join purchased
        on matched.registry_nip = purchased.nip
    left join krs
        on matched.registry_nip = krs.nip
    left join regon
        on coalesce(krs.regon, feed.regon) = regon.regon
    left join whitelist
        on matched.registry_nip = whitelist.nip
    left join companies_house
        on matched.uk_company_number = companies_house.company_number

),

final as (

    select
        joined.*,
        coalesce(industries.industry, 'unknown') as industry,
        headcount_bands.headcount_min,
        revenue_bands.revenue_min_pln

    from joined
    left join industries
        on
            (
                industries.classification = 'pkd'
                and {{ lenient_cast(dbt.split_part('joined.pkd_code', "'.'", 1), 'integer') }}
                = industries.division
            )
            or (
                joined.pkd_code is null
                and industries.classification = 'sic'
                and {{ lenient_cast('substring(joined.sic_code, 1, 2)', 'integer') }} = industries.division
            )
    left join revenue_bands
        on joined.revenue_band = revenue_bands.revenue_band
    left join headcount_bands
        on joined.headcount_band = headcount_bands.headcount_band

)

select * from final
