-- Normalised e-mail address -> person. An address used by several CRM contacts (office@,
-- biuro@ shared inboxes) identifies nobody and is left out, so it cannot fuse people.
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where not is_archived and email is not null

),

resolved as (

    select * from {{ ref('int_contact_ids_resolved') }}

),

people_per_email as (

    select
        contacts.email,
        min(resolved.person_id) as person_id,
        count(distinct resolved.person_id) as person_count

    from contacts
    inner join resolved
        on contacts.contact_id = resolved.contact_id
    group by contacts.email

),

final as (

    select
        email,
        person_id

    from people_per_email
    where person_count = 1

)

select * from final
