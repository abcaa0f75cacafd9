-- The queue sales works from: marketing-qualified and sales-accepted/qualified people
-- who have a valid basis for sales contact, hottest first, with why they are here.
with

people as (

    select * from {{ ref('dim_person') }}

),

final as (

    select
        person_id,
        crm_contact_id,
        email,
        first_name,
        last_name,
        job_title,
        account_name,
        owner_id,
        stage,
        temperature,
        total_score,
        fit_score,
        engagement_score,
        score_explanation,
        has_sales_contact_consent,
        lead_definition_version,
        scored_at

    from people
    where
        stage in ('mql', 'sal', 'sql')
        and has_sales_contact_consent

)

select * from final
