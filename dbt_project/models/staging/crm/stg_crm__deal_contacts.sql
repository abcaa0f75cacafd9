-- Child rows of deals; the parent join only undoes dlt's unnesting.
with

associations as (

    select * from {{ optional_source('crm', 'deals__associations__contacts__results') }}

),

deals as (

    select
        _dlt_id,
        id
    from {{ optional_source('crm', 'deals') }}

),

final as (

    select
        deals.id as deal_id,
        associations.id as contact_id

    from associations
    inner join deals
        on associations._dlt_parent_id = deals._dlt_id

)

select * from final
