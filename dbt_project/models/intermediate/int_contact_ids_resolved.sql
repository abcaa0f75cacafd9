-- Every CRM contact id ever seen (survivors and merged-away ids) resolved to the surviving
-- contact and its person_id. HubSpot lists all ids merged into a survivor, chained merges
-- included, in hs_merged_object_ids.
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where not is_archived

),

survivors as (

    select
        contact_id,
        contact_id as survivor_contact_id,
        'crm_contact_id' as link_method

    from contacts

),

merged_away as (

    select
        trim(split_values.merged_id) as contact_id,
        contacts.contact_id as survivor_contact_id,
        'crm_merged_contact_id' as link_method

    from contacts
    {{ split_to_rows('contacts.merged_contact_ids', ';', 'merged_id') }}
    where contacts.merged_contact_ids is not null

),

unioned as (

    select * from survivors
    union all
    select * from merged_away

),

final as (

    select
        contact_id,
        survivor_contact_id,
        {{ dbt.hash("'crm:' || survivor_contact_id") }} as person_id,
        link_method

    from unioned

)

select * from final
