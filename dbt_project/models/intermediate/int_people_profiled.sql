-- One row per known person with account, role, consent, sales feedback and deal outcomes:
-- everything the lead definition's fit criteria and stages read. Known people are the
-- surviving CRM contacts plus people known only by an e-mail address seen on the web or in
-- e-mail events (int_email_only_people), who have no CRM facts yet.
with

contacts as (

    -- People the CRM knew at the as-of moment.
    select * from {{ ref('stg_crm__contacts') }}
    where
        not is_archived
        and coalesce(created_at <= {{ as_of_timestamp() }}, true)

),

contact_ids as (

    select * from {{ ref('int_contact_ids_resolved') }}

),

accounts as (

    select * from {{ ref('int_person_accounts_matched') }}

),

title_rules as (

    select * from {{ ref('job_title_rules') }}

),

competitors as (

    select * from {{ ref('competitor_domains') }}

),

consent as (

    select
        person_id,
        max(case when purpose = 'email_marketing' and has_consent then 1 else 0 end) = 1
            as has_email_marketing_consent,
        max(case when purpose = 'sales_contact' and has_consent then 1 else 0 end) = 1
            as has_sales_contact_consent,
        max(case when purpose = 'profiling' and has_consent then 1 else 0 end) = 1
            as has_profiling_consent

    from {{ ref('int_consent_current') }}
    group by person_id

),

deals_as_of as (

    select
        *,
        (is_won or is_lost)
        and coalesce(closed_at <= {{ as_of_timestamp() }}, true) as is_closed_by_as_of

    from {{ ref('stg_crm__deals') }}
    where
        not is_archived
        and created_at <= {{ as_of_timestamp() }}

),

deals as (

    select
        contact_ids.person_id,
        -- Deal outcomes as they stood at the as-of moment, so past stages are reproducible.
        max(case when deals.is_won and deals.is_closed_by_as_of then 1 else 0 end) = 1
            as has_won_deal,
        max(case when not deals.is_closed_by_as_of then 1 else 0 end) = 1 as has_open_deal,
        max(case when deals.is_lost and deals.is_closed_by_as_of then 1 else 0 end) = 1
            as has_lost_deal,
        min(deals.created_at) as first_deal_created_at

    from deals_as_of as deals
    inner join {{ ref('stg_crm__deal_contacts') }} as deal_contacts
        on deals.deal_id = deal_contacts.deal_id
    inner join contact_ids
        on deal_contacts.contact_id = contact_ids.contact_id
    group by contact_ids.person_id

),

title_matches as (

    select
        contacts.contact_id,
        title_rules.dimension,
        title_rules.value,
        row_number() over (
            partition by contacts.contact_id, title_rules.dimension
            order by title_rules.priority
        ) as rule_rank

    from contacts
    inner join title_rules
        on lower(contacts.job_title) || ' ' like '%' || title_rules.keyword || '%'

),

roles as (

    select
        contact_id,
        max(case when dimension = 'function' then value end) as job_function,
        max(case when dimension = 'seniority' then value end) as seniority

    from title_matches
    where rule_rank = 1
    group by contact_id

),

crm_people as (

    select
        contact_ids.person_id,
        contacts.contact_id,
        contacts.email,
        contacts.first_name,
        contacts.last_name,
        contacts.job_title,
        coalesce(roles.job_function, 'unknown') as job_function,
        coalesce(roles.seniority, 'unknown') as seniority,
        accounts.account_id,
        accounts.account_match_method,
        accounts.account_match_confidence,
        contacts.owner_id,
        contacts.lead_status,
        contacts.interest_level,
        contacts.has_bant_budget,
        contacts.has_bant_authority,
        contacts.has_bant_need,
        contacts.has_bant_timing,
        competitors.domain is not null as is_competitor,
        coalesce(consent.has_email_marketing_consent, false) as has_email_marketing_consent,
        coalesce(consent.has_sales_contact_consent, false) as has_sales_contact_consent,
        coalesce(consent.has_profiling_consent, false) as has_profiling_consent,
        coalesce(deals.has_won_deal, false) as has_won_deal,
        coalesce(deals.has_open_deal, false) as has_open_deal,
        coalesce(deals.has_lost_deal, false) as has_lost_deal,
        contacts.created_at

    from contacts
    inner join contact_ids
        on
            contacts.contact_id = contact_ids.contact_id
            and contact_ids.link_method = 'crm_contact_id'
    left join accounts
        on contact_ids.person_id = accounts.person_id
    left join roles
        on contacts.contact_id = roles.contact_id
    left join competitors
        on {{ dbt.split_part('contacts.email', "'@'", 2) }} = competitors.domain
    left join consent
        on contact_ids.person_id = consent.person_id
    left join deals
        on contact_ids.person_id = deals.person_id

),

email_only_people as (

    select
        email_only.person_id,
        cast(null as {{ dbt.type_string() }}) as contact_id,
        email_only.email,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        cast(null as {{ dbt.type_string() }}) as job_title,
        'unknown' as job_function,
        'unknown' as seniority,
        accounts.account_id,
        accounts.account_match_method,
        accounts.account_match_confidence,
        cast(null as {{ dbt.type_string() }}) as owner_id,
        cast(null as {{ dbt.type_string() }}) as lead_status,
        cast(null as integer) as interest_level,
        false as has_bant_budget,
        false as has_bant_authority,
        false as has_bant_need,
        false as has_bant_timing,
        competitors.domain is not null as is_competitor,
        coalesce(consent.has_email_marketing_consent, false) as has_email_marketing_consent,
        coalesce(consent.has_sales_contact_consent, false) as has_sales_contact_consent,
        coalesce(consent.has_profiling_consent, false) as has_profiling_consent,
        false as has_won_deal,
        false as has_open_deal,
        false as has_lost_deal,
        email_only.first_seen_at as created_at

    from {{ ref('int_email_only_people') }} as email_only
    left join accounts
        on email_only.person_id = accounts.person_id
    left join competitors
        on {{ dbt.split_part('email_only.email', "'@'", 2) }} = competitors.domain
    left join consent
        on email_only.person_id = consent.person_id
    where coalesce(email_only.first_seen_at <= {{ as_of_timestamp() }}, true)

),

final as (

    select * from crm_people
    union all
    select * from email_only_people

)

select * from final
