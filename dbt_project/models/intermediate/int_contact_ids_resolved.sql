-- Every CRM contact id ever seen (survivors and merged-away ids) resolved to the surviving
-- contact and its person_id, one row per id. HubSpot lists all ids merged into a survivor,
-- chained merges included, in hs_merged_object_ids.
--
-- The warehouse keeps what it loaded, so a contact loaded before it was merged away keeps
-- its record next to the survivor that now lists it; and exports edited by hand can list
-- a contact's own id, blanks, or one id under two survivors. So: a contact listed by a
-- contact that nobody lists (a root) is merged away, and resolves to that root (to the
-- most recently updated one if several list it); every other contact survives. An id
-- listed only by contacts that are merged away themselves resolves through them. Each id
-- resolves to exactly one survivor, and a listing that loops (two contacts listing each
-- other) merges nobody away.
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where not is_archived

),

listed as (

    select distinct
        trim(split_values.merged_id) as contact_id,
        contacts.contact_id as listed_by,
        contacts.updated_at as listed_by_updated_at

    from contacts
    {{ split_to_rows('contacts.merged_contact_ids', ';', 'merged_id') }}
    where
        contacts.merged_contact_ids is not null
        and trim(split_values.merged_id) <> ''
        and trim(split_values.merged_id) <> contacts.contact_id

),

listed_ids as (

    select distinct contact_id
    from listed

),

roots as (

    select contacts.contact_id
    from contacts
    left join listed_ids
        on contacts.contact_id = listed_ids.contact_id
    where listed_ids.contact_id is null

),

listed_by_root as (

    select
        listed.contact_id,
        listed.listed_by as survivor_contact_id,
        row_number() over (
            partition by listed.contact_id
            order by
                case when listed.listed_by_updated_at is null then 1 else 0 end,
                listed.listed_by_updated_at desc,
                listed.listed_by desc
        ) as preference

    from listed
    inner join roots
        on listed.listed_by = roots.contact_id

),

merged_into_root as (

    select
        contact_id,
        survivor_contact_id

    from listed_by_root
    where preference = 1

),

survivors as (

    select
        contacts.contact_id,
        contacts.contact_id as survivor_contact_id,
        'crm_contact_id' as link_method

    from contacts
    left join merged_into_root
        on contacts.contact_id = merged_into_root.contact_id
    where merged_into_root.contact_id is null

),

-- Ids listed only by contacts that are themselves listed: resolved through the contact
-- that lists them (to its root, if it was merged into one).
listed_through as (

    select
        listed.contact_id,
        coalesce(merged_into_root.survivor_contact_id, listed.listed_by) as survivor_contact_id,
        row_number() over (
            partition by listed.contact_id
            order by
                case when merged_into_root.contact_id is null then 1 else 0 end,
                case when listed.listed_by_updated_at is null then 1 else 0 end,
                listed.listed_by_updated_at desc,
                listed.listed_by desc
        ) as preference

    from listed
    left join merged_into_root
        on listed.listed_by = merged_into_root.contact_id

),

merged_away as (

    select
        contact_id,
        survivor_contact_id,
        'crm_merged_contact_id' as link_method

    from merged_into_root

    union all

    select
        listed_through.contact_id,
        listed_through.survivor_contact_id,
        'crm_merged_contact_id' as link_method

    from listed_through
    left join merged_into_root
        on listed_through.contact_id = merged_into_root.contact_id
    left join survivors
        on listed_through.contact_id = survivors.contact_id
    where
        listed_through.preference = 1
        and merged_into_root.contact_id is null
        and survivors.contact_id is null

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
