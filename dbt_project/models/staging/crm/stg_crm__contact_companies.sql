-- Associations arrive as dlt child rows of their contact: joining to the parent here only
-- undoes dlt's unnesting of one HubSpot object.
with

associations as (

    select * from {{ optional_source('crm', 'contacts__associations__companies__results') }}

),

contacts as (

    select
        _dlt_id,
        id
    from {{ optional_source('crm', 'contacts') }}

),

final as (

    select
        contacts.id as contact_id,
        associations.id as company_id,
        associations.type as association_type

    from associations
    inner join contacts
        on associations._dlt_parent_id = contacts._dlt_id

)

select * from final
