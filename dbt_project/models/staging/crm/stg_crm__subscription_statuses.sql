-- Child rows of a recipient's communication preferences; the parent join only undoes
-- dlt's unnesting.
with

-- dlt creates a column only for a field some status had: a CRM whose statuses never carry
-- an explanation (or a source, or a time) has no such column, and staging reads null
-- (optional_source).
{%- set statuses_table = 'communication_preferences__subscription_statuses' %}

statuses as (

    select
        statuses._dlt_parent_id,
        statuses.id,
        statuses.status,
        statuses.name as subscription_name,
        statuses.source_of_status,
        statuses.legal_basis as hubspot_legal_basis,
        statuses.legal_basis_explanation,
        cast(statuses.{{ adapter.quote('timestamp') }} as timestamp) as status_changed_at
    from {{ optional_source('crm', statuses_table) }} as statuses

),

recipients as (

    select
        _dlt_id,
        _dlt_load_id,
        recipient
    from {{ optional_source('crm', 'communication_preferences') }}

),

-- The first load that delivered a status without a time (ingestion/crm/sightings.py):
-- later deliveries of the same record do not move it. One row per recipient, subscription
-- and status; only a status without a time takes it (tested in the select, not the join
-- condition, which would make the join compare every pair of rows).
sightings as (

    select * from {{ optional_source('crm', 'subscription_status_sightings') }} as sightings

),

final as (

    select
        {{ normalize_email('recipients.recipient') }} as email,
        statuses.id as subscription_id,
        statuses.subscription_name,
        statuses.status as subscription_status,
        statuses.source_of_status,
        statuses.hubspot_legal_basis,
        statuses.legal_basis_explanation,
        statuses.status_changed_at,
        -- When the warehouse first learned the status: the first load that delivered it
        -- for a status without a time, else the load of the record (a dlt load id is a
        -- Unix time).
        {{ load_id_timestamp(
            'coalesce(case when statuses.status_changed_at is null then '
            ~ 'sightings.first_seen_load_id end, recipients._dlt_load_id)'
        ) }} as first_loaded_at

    from statuses
    inner join recipients
        on statuses._dlt_parent_id = recipients._dlt_id
    left join sightings
        on
            recipients.recipient = sightings.recipient
            and coalesce(statuses.id, '') = coalesce(sightings.subscription_id, '')
            and coalesce(statuses.status, '') = coalesce(sightings.status, '')

)

select * from final
