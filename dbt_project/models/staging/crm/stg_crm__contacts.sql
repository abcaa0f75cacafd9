with

source as (

    select * from {{ optional_source('crm', 'contacts') }}

),

renamed as (

    select
        id as contact_id,
        {{ normalize_email('properties__email') }} as email,
        properties__firstname as first_name,
        properties__lastname as last_name,
        nullif(trim(properties__jobtitle), '') as job_title,
        properties__company as company_name,
        properties__lifecyclestage as lifecycle_stage,
        properties__hs_lead_status as lead_status,
        properties__hubspot_owner_id as owner_id,
        {{ lenient_cast('properties__interest_level', 'integer') }} as interest_level,
        properties__bant_budget = 'yes' as has_bant_budget,
        properties__bant_authority = 'yes' as has_bant_authority,
        properties__bant_need = 'yes' as has_bant_need,
        properties__bant_timing = 'yes' as has_bant_timing,
        nullif(properties__hs_merged_object_ids, '') as merged_contact_ids,
        {{ crm_record_time(lenient_cast('properties__createdate', 'timestamp'), 'contacts') }} as created_at,
        {{ lenient_cast('properties__lastmodifieddate', 'timestamp') }} as updated_at,
        coalesce(archived, false) as is_archived,
        _dlt_id as dlt_id,
        _dlt_load_id as dlt_load_id

    from source

)

select * from renamed
