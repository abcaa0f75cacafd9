with

source as (

    select * from {{ source('crm', 'companies') }}

),

renamed as (

    select
        id as company_id,
        properties__name as company_name,
        nullif(lower(trim(properties__domain)), '') as web_domain,
        nullif(replace(replace(properties__nip, '-', ''), ' ', ''), '') as nip,
        -- UK Companies House number, a custom property: digits and letters only.
        nullif(
            upper(replace({{ optional_column(
                'crm', 'companies', 'properties__company_number', dbt.type_string()
            ) }}, ' ', '')),
            ''
        ) as uk_company_number,
        properties__city as city,
        coalesce(archived, false) as is_archived,
        {{ lenient_cast('properties__createdate', 'timestamp') }} as created_at

    from source

)

select * from renamed
