with

source as (

    select * from {{ optional_source('company_registry', 'companies_house_profiles') }} as profiles

),

renamed as (

    select
        company_number,
        company_name as legal_name,
        company_status,
        company_type as legal_form,
        date_of_creation as registered_on,
        date_of_cessation as dissolved_on,
        sic_codes,
        coalesce(has_insolvency_history, false) as has_insolvency_history,
        company_status in ('liquidation', 'insolvency-proceedings', 'administration')
            as is_in_liquidation,
        company_status = 'dissolved' as is_dissolved,
        locality as city

    from source

)

select * from renamed
