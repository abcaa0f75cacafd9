with

source as (

    select * from {{ optional_source('crm', 'deals') }}

),

renamed as (

    select
        id as deal_id,
        properties__dealname as deal_name,
        {{ lenient_cast('properties__amount', 'decimal(18, 2)') }} as amount,
        properties__dealstage as deal_stage,
        properties__pipeline as pipeline,
        properties__dealstage = 'closedwon' as is_won,
        properties__dealstage = 'closedlost' as is_lost,
        properties__dealstage not in ('closedwon', 'closedlost') as is_open,
        properties__closed_lost_reason as closed_lost_reason,
        properties__hubspot_owner_id as owner_id,
        {{ crm_record_time(lenient_cast('properties__createdate', 'timestamp'), 'deals') }} as created_at,
        {{ lenient_cast('properties__closedate', 'timestamp') }} as closed_at,
        coalesce(archived, false) as is_archived

    from source

)

select * from renamed
