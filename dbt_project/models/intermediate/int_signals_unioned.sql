-- The one signal stream scoring reads: one row per person per signal occurrence, with
-- when it happened and the evidence a salesperson can check.
{#- Known people's web events. Read by each web signal's own subquery, not through one
    CTE: DuckDB materialises a CTE read more than once, every column of every event (at L
    the model took 23.4-28.4 s this way, against 26.3-38.6 s through one CTE). -#}
{%- set web -%}
    (select * from {{ ref('int_web_events_attributed') }} where person_id is not null)
{%- endset %}
with

emails as (

    select * from {{ ref('int_email_addresses_resolved') }}

),

email_events as (

    select * from {{ ref('stg_email__events') }}

),

people as (

    select * from {{ ref('int_people_profiled') }}

),

engagements as (

    select * from {{ ref('stg_crm__meetings') }}
    union all
    select * from {{ ref('stg_crm__calls') }}

),

contact_ids as (

    select * from {{ ref('int_contact_ids_resolved') }}

),

track_signals as (

    select * from {{ ref('track_event_signals') }}

),

notes as (

    select * from {{ ref('stg_crm__notes') }}

),

page_views as (

    select
        person_id,
        'page_view_' || page_category as signal_type,
        occurred_at,
        page_path as evidence,
        'web_analytics' as source_system,
        event_id as source_record_id

    from {{ web }} as web
    where event_type = 'page'

),

-- A visit (session) is counted by its first event, which the attribution marks, not by
-- grouping every event by person and visit (at L the model took 35.2 and 37.3 s this way,
-- against 39.1 and 45.5 s). A visit after the first is also a repeat visit. Both carry
-- the first event's id.
repeat_visits as (

    select
        person_id,
        'repeat_visit' as signal_type,
        occurred_at,
        'visit ' || cast(session_number as {{ dbt.type_string() }}) as evidence,
        'web_analytics' as source_system,
        event_id as source_record_id

    from {{ web }} as web
    where starts_session and session_number > 1

),

sessions as (

    select
        person_id,
        'web_session' as signal_type,
        occurred_at,
        'visit ' || cast(session_number as {{ dbt.type_string() }}) as evidence,
        'web_analytics' as source_system,
        event_id as source_record_id

    from {{ web }} as web
    where starts_session

),

tracked_actions as (

    select
        web.person_id,
        track_signals.signal_type,
        web.occurred_at,
        web.event_name || case when web.form_id is not null then ' (form ' || web.form_id || ')' else '' end
            as evidence,
        'web_analytics' as source_system,
        web.event_id as source_record_id

    from {{ web }} as web
    inner join track_signals
        on web.event_name = track_signals.event_name
    where web.event_type = 'track'

),

sales_feedback as (

    select
        contact_ids.person_id,
        case
            when notes.detail like 'Accepted%' then 'sales_accepted'
            else 'sales_rejected'
        end as signal_type,
        notes.occurred_at,
        notes.detail as evidence,
        'crm' as source_system,
        notes.engagement_id as source_record_id

    from notes
    inner join contact_ids
        on notes.contact_id = contact_ids.contact_id
    where notes.detail like 'Accepted%' or notes.detail like 'Rejected%'

),

email_signals as (

    select
        emails.person_id,
        case email_events.event_type
            when 'delivered' then 'email_delivered'
            when 'open' then 'email_open'
            when 'click' then 'email_click'
            when 'bounce' then 'email_bounce'
            when 'unsubscribe' then 'email_unsubscribe'
            when 'group_unsubscribe' then 'email_unsubscribe'
            when 'spamreport' then 'email_spam_report'
        end as signal_type,
        email_events.occurred_at,
        coalesce(email_events.clicked_url, email_events.categories) as evidence,
        'email' as source_system,
        email_events.email_event_id as source_record_id

    from email_events
    inner join emails
        on email_events.email = emails.email
    where email_events.event_type in (
        'delivered', 'open', 'click', 'bounce', 'unsubscribe', 'group_unsubscribe', 'spamreport'
    )
    -- Privacy proxies and scanners open every message: not a human signal.
    and not email_events.is_machine_open

),

crm_activities as (

    select
        contact_ids.person_id,
        case
            when engagements.activity_type = 'Webinar' then 'webinar_attended'
            when engagements.engagement_type = 'calls' then 'sales_call'
            else 'meeting'
        end as signal_type,
        engagements.occurred_at,
        engagements.detail as evidence,
        'crm' as source_system,
        engagements.engagement_id as source_record_id

    from engagements
    inner join contact_ids
        on engagements.contact_id = contact_ids.contact_id

),

self_reported as (

    select
        person_id,
        'interest_level_' || cast(interest_level as {{ dbt.type_string() }}) as signal_type,
        created_at as occurred_at,
        'self-reported interest level ' || cast(interest_level as {{ dbt.type_string() }})
            as evidence,
        'crm' as source_system,
        contact_id as source_record_id

    from people
    where interest_level between 1 and 4

),

bant as (

    {% for answer in ['budget', 'authority', 'need', 'timing'] %}
        select
            person_id,
            'bant_{{ answer }}' as signal_type,
            created_at as occurred_at,
            'BANT: {{ answer }} confirmed' as evidence,
            'crm' as source_system,
            contact_id as source_record_id

        from people
        where has_bant_{{ answer }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select * from page_views
    union all
    select * from repeat_visits
    union all
    select * from sessions
    union all
    select * from tracked_actions
    union all
    select * from sales_feedback
    union all
    select * from email_signals
    union all
    select * from crm_activities
    union all
    select * from self_reported
    union all
    select * from bant

)

select * from final
