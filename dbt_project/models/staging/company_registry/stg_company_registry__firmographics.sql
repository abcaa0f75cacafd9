with

source as (

    select * from {{ optional_source('company_registry', 'firmographics') }}

),

renamed as (

    select
        nip,
        regon,
        krs,
        name as legal_name,
        legal_form,
        pkd_main as pkd_code,
        {{ lenient_cast(dbt.split_part('pkd_main', "'.'", 1), 'integer') }} as pkd_division,
        registration_date as registered_on,
        share_capital_pln,
        headcount_band,
        revenue_band_pln as revenue_band,
        coalesce(branches, 0) as branch_count,
        vat_status,
        coalesce(in_liquidation, false) as is_in_liquidation,
        nullif(lower(trim(www)), '') as web_domain,
        as_of as registry_as_of

    from source

)

select * from renamed
