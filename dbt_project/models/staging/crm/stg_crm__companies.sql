with

source as (

    select * from {{ optional_source('crm', 'companies') }}

),

normalized as (

    select
        *,
        {{ normalize_nip('properties__nip') }} as nip_normalized

    from source

),

renamed as (

    select
        id as company_id,
        properties__name as company_name,
        nullif(lower(trim(properties__domain)), '') as web_domain,
        -- A NIP that fails its check digit (a typo) matches nothing and must not be
        -- published; it is reported in stg_values_not_typed and the company is matched by
        -- its web domain instead, like one without a NIP.
        case when {{ nip_is_valid('nip_normalized') }} then nip_normalized end as nip,
        -- UK Companies House number, a custom property: digits and letters only.
        nullif(
            upper(replace(properties__company_number, ' ', '')),
            ''
        ) as uk_company_number,
        properties__city as city,
        coalesce(archived, false) as is_archived,
        {{ crm_record_time(lenient_cast('properties__createdate', 'timestamp'), 'companies') }} as created_at

    from normalized

)

select * from renamed
