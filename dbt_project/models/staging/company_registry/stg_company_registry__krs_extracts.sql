with

source as (

    select * from {{ optional_source('company_registry', 'krs_extracts') }} as extracts

),

renamed as (

    select
        krs,
        nip,
        regon,
        name as legal_name,
        legal_form,
        registration_date as registered_on,
        share_capital_pln,
        pkd_main as pkd_code,
        city,
        coalesce(is_in_liquidation, false) as is_in_liquidation,
        coalesce(is_in_bankruptcy, false) as is_in_bankruptcy,
        extract_as_of

    from source

)

select * from renamed
