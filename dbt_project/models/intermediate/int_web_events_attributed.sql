{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ rebuild_without_column('starts_session', dbt.type_boolean()) }}"
    )
}}
-- Web events with their person (if known), page category and session. A session ends
-- after 30 minutes of inactivity or when a new campaign starts.
--
-- Incremental: a run recomputes every visitor touched since the last run, and only them:
-- visitors with events loaded since the last build (late ones included) and visitors
-- whose events now resolve to a different person (an anonymous visitor identified,
-- contacts merged). A visitor is always recomputed whole, so sessions and attribution
-- match a full refresh; rows are replaced by event_id. Changing the page_categories seed
-- needs `--full-refresh`. A table built before starts_session existed is emptied by the
-- pre-hook, so that build recomputes every visitor.
with

events as (

    select * from {{ ref('stg_web_analytics__events') }}

),

contact_ids as (

    select * from {{ ref('int_contact_ids_resolved') }}

),

anonymous_ids as (

    select * from {{ ref('int_anonymous_ids_resolved') }}

),

page_rules as (

    select * from {{ ref('page_categories') }}

),

resolved as (

    select
        events.*,
        coalesce(contact_ids.person_id, anonymous_ids.person_id) as person_id

    from events
    left join contact_ids
        on events.user_id = contact_ids.contact_id
    left join anonymous_ids
        on events.anonymous_id = anonymous_ids.anonymous_id

),

keyed as (

    select
        *,
        {{ web_visitor_key('person_id', 'anonymous_id', 'user_id') }} as visitor_key

    from resolved

),

{% if is_incremental() %}

    -- A visitor's key depends only on the event's (anonymous_id, user_id) pair and the
    -- identity maps, so the run compares pairs, not events: the distinct pairs the last
    -- build stored, with the key it gave each, and the pairs of events loaded since.
    -- Comparing the stored pairs, rather than every stored event with its current key by
    -- event_id, saves a join of all events with all events (at 20 M events and 1 % new,
    -- the model's SQL took 34-37 s instead of 109-130 s). Rows built before staging
    -- turned empty anonymous ids into nulls, or before calls with only an unknown userId
    -- had a key of their own, compare as they are built now.
    --
    -- Events loaded since the last build, late ones included, are those with a load id
    -- above the highest one built: the raw table keeps the first loaded copy of each
    -- event (ingestion.common.drop_duplicates). dlt's load ids are Unix times with the
    -- same number of integer digits (until 2286), so they compare as text. They are read
    -- from the staging model itself, not the `events` CTE: a second reference to that CTE
    -- makes DuckDB materialise all of its columns for every event.
    pairs as (

        select
            nullif(anonymous_id, '') as anonymous_id,
            user_id,
            visitor_key as previous_key

        from {{ this }}
        group by anonymous_id, user_id, visitor_key

        union all

        select distinct
            anonymous_id,
            user_id,
            cast(null as {{ dbt.type_string() }}) as previous_key

        from {{ ref('stg_web_analytics__events') }}
        where dlt_load_id > (
            select coalesce(max(built.dlt_load_id), '') from {{ this }} as built
        )

    ),

    rekeyed as (

        select
            pairs.previous_key,
            {{ web_visitor_key(
                'coalesce(contact_ids.person_id, anonymous_ids.person_id)',
                'pairs.anonymous_id',
                'pairs.user_id'
            ) }} as current_key

        from pairs
        left join contact_ids
            on pairs.user_id = contact_ids.contact_id
        left join anonymous_ids
            on pairs.anonymous_id = anonymous_ids.anonymous_id

    ),

    -- The pairs whose key changed. A pair of new events has no previous key, so it always
    -- counts; a stored pair counts when it now resolves to another visitor (an anonymous
    -- visitor identified, contacts merged, another contact on a shared device).
    changed as (

        select
            previous_key,
            current_key

        from rekeyed
        where coalesce(previous_key, '') <> coalesce(current_key, '')

    ),

    -- Both visitors of a changed pair are recomputed whole: the new one gains events, and
    -- the old one may keep others, whose sessions are then counted without the ones that
    -- left.
    affected_visitors as (

        select current_key as visitor_key from changed
        union
        select previous_key as visitor_key from changed

    ),

    attributed as (

        select keyed.* from keyed
        inner join affected_visitors
            on keyed.visitor_key = affected_visitors.visitor_key

    ),

{% else %}

    attributed as (

        select * from keyed

    ),

{% endif %}

categorised as (

    select
        attributed.event_id,
        page_rules.page_category,
        row_number() over (
            partition by attributed.event_id order by page_rules.priority
        ) as rule_rank

    from attributed
    inner join page_rules
        on attributed.page_path like page_rules.path_pattern
    where attributed.event_type = 'page'

),

with_previous as (

    select
        attributed.*,
        coalesce(
            case when attributed.event_type = 'page' and attributed.page_path = '/' then 'home' end,
            categorised.page_category,
            case when attributed.event_type = 'page' then 'other' end
        ) as page_category,
        lag(attributed.occurred_at) over (
            partition by attributed.visitor_key
            order by attributed.occurred_at, attributed.event_id
        ) as previous_occurred_at,
        lag(attributed.campaign_name) over (
            partition by attributed.visitor_key
            order by attributed.occurred_at, attributed.event_id
        ) as previous_campaign_name

    from attributed
    left join categorised
        on
            attributed.event_id = categorised.event_id
            and categorised.rule_rank = 1

),

flagged as (

    select
        *,
        case
            when previous_occurred_at is null then 1
            when {{ dbt.datediff('previous_occurred_at', 'occurred_at', 'second') }} > 1800  -- noqa: LT05
                then 1
            when
                campaign_name is not null
                and campaign_name <> coalesce(previous_campaign_name, '') then 1
            else 0
        end as is_session_start

    from with_previous

),

final as (

    select
        event_id,
        event_type,
        event_name,
        person_id,
        anonymous_id,
        user_id,
        visitor_key,
        occurred_at,
        page_path,
        page_category,
        campaign_name,
        form_id,
        form_interest_level,
        form_nip,
        traits_email,
        dlt_load_id,
        sum(is_session_start) over (
            partition by visitor_key
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number,
        -- The visit's first event: the signal stream counts visits by it, with no
        -- grouping of every event by person and visit.
        is_session_start = 1 as starts_session

    from flagged

)

select * from final
