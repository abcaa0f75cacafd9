-- Normalised e-mail address -> person. An address used by several CRM contacts (office@,
-- biuro@ shared inboxes) identifies nobody and is left out, so it cannot fuse people.
-- Addresses no CRM contact has resolve to their e-mail-only person (int_email_only_people).
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

email_only as (

    select * from {{ ref('int_email_only_people') }}

),

final as (

    select
        email,
        person_id,
        'crm_contact_email' as link_method

    from people_per_email
    where person_count = 1

    union all

    select
        email,
        person_id,
        link_method

    from email_only

)

select * from final
