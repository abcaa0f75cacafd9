with

source as (

    select * from {{ optional_source('web_analytics', 'events') }}

),

renamed as (

    select
        message_id as event_id,
        type as event_type,
        event as event_name,
        name as page_name,
        nullif(anonymous_id, '') as anonymous_id,
        nullif(user_id, '') as user_id,
        group_id,
        cast(timestamp as timestamp) as occurred_at,
        cast(received_at as timestamp) as received_at,
        lower(page_path) as page_path,
        page_url,
        page_title,
        campaign_name,
        campaign_source,
        campaign_medium,
        {{ normalize_email(json_text('traits', 'email')) }} as traits_email,
        {{ json_text('properties', 'form_id') }} as form_id,
        {{ lenient_cast(json_text('properties', 'interest_level'), 'integer') }} as form_interest_level,
        {{ json_text('properties', 'nip') }} as form_nip,
        -- Consent given on a form (checkboxes) or in the consent manager (cookie banner).
        {{ json_text('properties', 'consent.email_marketing') }} as form_consent_email_marketing,
        {{ json_text('properties', 'consent.sales_contact') }} as form_consent_sales_contact,
        {{ json_text('properties', 'consent.profiling') }} as form_consent_profiling,
        coalesce(
            {{ json_text('properties', 'consent_policy_version') }},
            {{ json_text('properties', 'policyVersion') }}
        ) as consent_policy_version,
        {{ json_text('consent_preferences', 'Analytics') }} as banner_consent_analytics,
        _dlt_load_id as dlt_load_id

    from source

)

select * from renamed
