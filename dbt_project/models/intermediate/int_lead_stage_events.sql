-- Dated evidence of stage changes, one row per person and event, derived from the sources
-- so the history is reproducible for any as-of moment:
--   anonymous    first web visit before the visitor was identified
--   lead         CRM contact created
--   mql          a scored moment at which the person started to meet the MQL definition
--   recycled     a scored moment at which a former MQL no longer met it (score decayed),
--                or a lost deal
--   sal / sql    sales accepted the lead (CRM note); sql when the CRM says qualified
--   nurture      sales rejected for bad timing;  disqualified: rejected otherwise
--   opportunity  deal created;  customer: deal won
--   no_consent   profiling consent withdrawn (or never given: when the contact was created)
--   disqualified also when a knock-out criterion applies (dated at contact creation)
-- Score events carry is_score_event; the transition mart decides which of them apply.
with

people as (

    select * from {{ ref('int_people_profiled') }}

),

timeline as (

    select * from {{ ref('int_lead_score_timeline') }}

),

web as (

    select * from {{ ref('int_web_events_attributed') }}
    where person_id is not null

),

anonymous_ids as (

    select * from {{ ref('int_anonymous_ids_resolved') }}

),

signals as (

    select * from {{ ref('int_signals_unioned') }}

),

contact_ids as (

    select * from {{ ref('int_contact_ids_resolved') }}

),

stages_current as (

    select * from {{ ref('int_lead_stages_current') }}

),

profiling_consent as (

    select
        person_id,
        max(consent_withdrawn_at) as withdrawn_at

    from {{ ref('int_consent_current') }}
    where purpose = 'profiling'
    group by person_id

),

deals as (

    select
        contact_ids.person_id,
        deals.deal_id,
        deals.deal_name,
        deals.created_at,
        deals.closed_at,
        deals.is_won,
        deals.is_lost

    from {{ ref('stg_crm__deals') }} as deals
    inner join {{ ref('stg_crm__deal_contacts') }} as deal_contacts
        on deals.deal_id = deal_contacts.deal_id
    inner join contact_ids
        on deal_contacts.contact_id = contact_ids.contact_id
    where not deals.is_archived

),

anonymous_visits as (

    select
        web.person_id,
        'anonymous' as stage,
        min(web.occurred_at) as entered_at,
        'web_analytics' as event_source,
        'first visit before identification' as evidence,
        false as is_score_event

    from web
    inner join anonymous_ids
        on web.anonymous_id = anonymous_ids.anonymous_id
    inner join people
        on web.person_id = people.person_id
    -- Only history before the person became known: a new device identified later is
    -- not a step back to anonymous.
    where
        web.occurred_at < anonymous_ids.identified_at
        and web.occurred_at < coalesce(people.created_at, anonymous_ids.identified_at)
    group by web.person_id

),

created as (

    select
        person_id,
        'lead' as stage,
        created_at as entered_at,
        'crm' as event_source,
        'contact created' as evidence,
        false as is_score_event

    from people
    where created_at is not null

),

without_basis as (

    select
        people.person_id,
        'no_consent' as stage,
        coalesce(profiling_consent.withdrawn_at, people.created_at) as entered_at,
        'consent' as event_source,
        case
            when profiling_consent.withdrawn_at is not null then 'profiling consent withdrawn'
            else 'no valid basis for profiling'
        end as evidence,
        false as is_score_event

    from people
    left join profiling_consent
        on people.person_id = profiling_consent.person_id
    where not people.has_profiling_consent

),

knocked_out as (

    select
        stages_current.person_id,
        'disqualified' as stage,
        people.created_at as entered_at,
        'lead_definition' as event_source,
        stages_current.stage_reason as evidence,
        false as is_score_event

    from stages_current
    inner join people
        on stages_current.person_id = people.person_id
    where stages_current.is_knocked_out and people.has_profiling_consent

),

scored_moments as (

    select
        person_id,
        evaluated_at,
        total_score,
        meets_mql,
        lag(meets_mql) over (partition by person_id order by evaluated_at) as met_mql_before

    from timeline

),

score_changes as (

    select
        person_id,
        case when meets_mql then 'mql' else 'recycled' end as stage,
        evaluated_at as entered_at,
        'lead_score' as event_source,
        case
            when meets_mql then 'score reached '
            else 'score decayed to '
        end || cast(cast(round(total_score, 0) as integer) as {{ dbt.type_string() }})
            as evidence,
        true as is_score_event

    from scored_moments
    where
        (meets_mql and not coalesce(met_mql_before, false))
        or (not meets_mql and met_mql_before)

),

latest_acceptance as (

    select
        person_id,
        max(occurred_at) as accepted_at

    from signals
    where signal_type = 'sales_accepted'
    group by person_id

),

sales_feedback as (

    select
        signals.person_id,
        case
            when
                signals.signal_type = 'sales_accepted'
                and people.lead_status = 'CONNECTED'
                and signals.occurred_at = latest_acceptance.accepted_at
                then 'sql'
            when signals.signal_type = 'sales_accepted' then 'sal'
            when lower(signals.evidence) like '%bad timing%' then 'nurture'
            else 'disqualified'
        end as stage,
        signals.occurred_at as entered_at,
        'crm' as event_source,
        signals.evidence,
        false as is_score_event

    from signals
    inner join people
        on signals.person_id = people.person_id
    left join latest_acceptance
        on signals.person_id = latest_acceptance.person_id
    where signals.signal_type in ('sales_accepted', 'sales_rejected')

),

deal_events as (

    select
        person_id,
        'opportunity' as stage,
        created_at as entered_at,
        'crm' as event_source,
        'deal created: ' || coalesce(deal_name, deal_id) as evidence,
        false as is_score_event

    from deals
    where created_at is not null

    union all

    select
        person_id,
        case when is_won then 'customer' else 'recycled' end as stage,
        closed_at as entered_at,
        'crm' as event_source,
        case when is_won then 'deal won: ' else 'deal lost: ' end
        || coalesce(deal_name, deal_id) as evidence,
        false as is_score_event

    from deals
    where (is_won or is_lost) and closed_at is not null

),

unioned as (

    select * from anonymous_visits
    union all
    select * from created
    union all
    select * from without_basis
    union all
    select * from knocked_out
    union all
    select * from score_changes
    union all
    select * from sales_feedback
    union all
    select * from deal_events

),

final as (

    select
        *,
        -- Order of events at the same instant: the funnel's natural order.
        case stage
            when 'anonymous' then 0
            when 'lead' then 1
            when 'mql' then 2
            when 'recycled' then 3
            when 'nurture' then 4
            when 'sal' then 5
            when 'sql' then 6
            when 'disqualified' then 7
            when 'no_consent' then 8
            when 'opportunity' then 9
            when 'customer' then 10
        end as stage_order

    from unioned
    where entered_at <= {{ as_of_timestamp() }}

)

select * from final
