-- The identity graph in one auditable place: every identifier Leadhouse knows, the person
-- it belongs to, and the key by which the link was made.
with

contact_ids as (

    select * from {{ ref('int_contact_ids_resolved') }}

),

emails as (

    select * from {{ ref('int_email_addresses_resolved') }}

),

anonymous_ids as (

    select * from {{ ref('int_anonymous_ids_resolved') }}

),

final as (

    select
        'crm_contact_id' as identifier_type,
        contact_id as identifier,
        person_id,
        link_method,
        cast(null as timestamp) as linked_at

    from contact_ids

    union all

    select
        'email' as identifier_type,
        email as identifier,
        person_id,
        link_method,
        cast(null as timestamp) as linked_at

    from emails

    union all

    select
        'segment_anonymous_id' as identifier_type,
        anonymous_id as identifier,
        person_id,
        link_method,
        identified_at as linked_at

    from anonymous_ids

)

select * from final
