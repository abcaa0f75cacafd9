-- One row per person with the account they belong to and how that was decided, in the
-- order the lead definition trusts: the CRM association; else the e-mail's domain against
-- company web domains (free-mail domains never match, nor a domain two companies share);
-- else a tax id (NIP) the person gave on a form. Unmatched people stay, with no account.
with

people as (

    select
        contact_ids.person_id,
        contacts.contact_id,
        contacts.email,
        {{ dbt.split_part('contacts.email', "'@'", 2) }} as email_domain

    from {{ ref('stg_crm__contacts') }} as contacts
    inner join {{ ref('int_contact_ids_resolved') }} as contact_ids
        on
            contacts.contact_id = contact_ids.contact_id
            and contact_ids.link_method = 'crm_contact_id'
    where not contacts.is_archived

    union all

    select
        person_id,
        cast(null as {{ dbt.type_string() }}) as contact_id,
        email,
        {{ dbt.split_part('email', "'@'", 2) }} as email_domain

    from {{ ref('int_email_only_people') }}

),

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

free_mail as (

    select * from {{ ref('free_mail_domains') }}

),

by_association as (

    select
        contact_id,
        min(company_id) as account_id

    from {{ ref('stg_crm__contact_companies') }}
    group by contact_id

),

unique_domains as (

    select
        accounts.web_domain,
        min(accounts.account_id) as account_id

    from accounts
    left join free_mail
        on accounts.web_domain = free_mail.domain
    where
        accounts.web_domain is not null
        and free_mail.domain is null
    group by accounts.web_domain
    having count(distinct accounts.account_id) = 1

),

form_nips as (

    select
        person_id,
        max({{ normalize_nip('form_nip') }}) as nip

    from {{ ref('int_web_events_attributed') }}
    where
        person_id is not null
        and form_nip is not null
    group by person_id

),

unique_nips as (

    select
        nip,
        min(account_id) as account_id

    from accounts
    where nip is not null
    group by nip
    having count(distinct account_id) = 1

),

final as (

    select
        people.person_id,
        coalesce(
            by_association.account_id, unique_domains.account_id, unique_nips.account_id
        ) as account_id,
        case
            when by_association.account_id is not null then 'crm_association'
            when unique_domains.account_id is not null then 'email_domain'
            when unique_nips.account_id is not null then 'form_nip'
            else 'unmatched'
        end as account_match_method,
        case
            when by_association.account_id is not null then 1.0
            when unique_domains.account_id is not null then 0.8
            when unique_nips.account_id is not null then 0.7
            else 0.0
        end as account_match_confidence

    from people
    left join by_association
        on people.contact_id = by_association.contact_id
    left join unique_domains
        on people.email_domain = unique_domains.web_domain
    left join form_nips
        on people.person_id = form_nips.person_id
    left join unique_nips
        on form_nips.nip = unique_nips.nip

)

select * from final
