-- Who marketing may e-mail now: people with a valid basis for e-mail marketing at build
-- time and a deliverable address, with the proof of that basis and what to send them.
with

people as (

    select * from {{ ref('dim_person') }}

),

consent as (

    select * from {{ ref('int_consent_current') }}
    where purpose = 'email_marketing' and channel = 'email' and has_consent

),

bounced as (

    select distinct email from {{ ref('stg_email__events') }}
    where event_type in ('bounce', 'dropped')

),

final as (

    select
        people.person_id,
        people.email,
        people.first_name,
        people.stage,
        people.temperature,
        people.nurture_horizon,
        people.lead_definition_name,
        consent.lawful_basis,
        consent.consent_source,
        consent.consent_given_at,
        consent.policy_version,
        consent.evidence_id,
        people.scored_at

    from people
    inner join consent
        on people.person_id = consent.person_id
    left join bounced
        on people.email = bounced.email
    where
        people.email is not null
        and bounced.email is null

)

select * from final
