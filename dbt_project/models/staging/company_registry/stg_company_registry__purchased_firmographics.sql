with

source as (

    select * from {{ optional_source('company_registry', 'purchased_firmographics') }} as purchased

),

renamed as (

    select
        nip,
        name as legal_name,
        headcount_band,
        revenue_band_pln as revenue_band,
        branches as branch_count,
        nullif(lower(trim(www)), '') as web_domain,
        as_of as vendor_as_of

    from source

)

select * from renamed
