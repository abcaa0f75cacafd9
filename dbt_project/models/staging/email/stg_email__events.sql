with

source as (

    select * from {{ optional_source('email', 'events') }}

),

renamed as (

    select
        sg_event_id as email_event_id,
        sg_message_id as message_id,
        event as event_type,
        {{ normalize_email('email') }} as email,
        cast(timestamp as timestamp) as occurred_at,
        categories,
        url as clicked_url,
        reason as failure_reason,
        bounce_type,
        asm_group_id as unsubscribe_group_id,
        coalesce(is_machine_open, false) as is_machine_open,
        _dlt_load_id as dlt_load_id

    from source

)

select * from renamed
