-- Child rows of a recipient's communication preferences; the parent join only undoes
-- dlt's unnesting.
with

statuses as (

    select * from {{ source('crm', 'communication_preferences__subscription_statuses') }}

),

recipients as (

    select
        _dlt_id,
        _dlt_load_id,
        recipient
    from {{ source('crm', 'communication_preferences') }}

),

final as (

    select
        {{ normalize_email('recipients.recipient') }} as email,
        statuses.id as subscription_id,
        statuses.name as subscription_name,
        statuses.status as subscription_status,
        statuses.source_of_status,
        statuses.legal_basis as hubspot_legal_basis,
        statuses.legal_basis_explanation,
        cast(statuses.timestamp as timestamp) as status_changed_at,
        -- When the warehouse learned the status: the dlt load (its id is a Unix time).
        {{ load_id_timestamp('recipients._dlt_load_id') }} as loaded_at

    from statuses
    inner join recipients
        on statuses._dlt_parent_id = recipients._dlt_id

)

select * from final
