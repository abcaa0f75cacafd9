-- Stage history: one row per person and stage entered, with when it was entered and left
-- (like HubSpot's hs_v2_date_entered_<stage>), rebuilt from dated source events so any
-- as-of moment reproduces it. Rules applied to the raw events:
--   * score events (MQL reached, score decayed) only move people who are anonymous, lead,
--     nurture or recycled: sales and deal stages are not overridden by a score;
--   * "score decayed" only recycles a current MQL;  customer is final;
--   * repeated entries of the same stage collapse into one;
--   * when the sources cannot date the current stage, a closing row records it at the
--     as-of moment (event_source = 'current_state').
with

events as (

    select * from {{ ref('int_lead_stage_events') }}

),

stages_current as (

    select * from {{ ref('int_lead_stages_current') }}

),

sequenced as (

    select
        *,
        row_number() over (
            partition by person_id order by entered_at, stage_order, evidence
        ) as event_sequence

    from events

),

with_authority as (

    select
        *,
        sum(case when is_score_event then 0 else 1 end) over (
            partition by person_id
            order by event_sequence
            rows between unbounded preceding and current row
        ) as authority_group

    from sequenced

),

authority as (

    select
        *,
        max(case when not is_score_event then stage end) over (
            partition by person_id, authority_group
        ) as stage_in_force,
        min(case when stage = 'customer' then event_sequence end) over (
            partition by person_id
        ) as customer_sequence

    from with_authority

),

applicable as (

    select * from authority
    where
        (customer_sequence is null or event_sequence <= customer_sequence)
        and (
            not is_score_event
            or stage_in_force is null
            or stage_in_force in ('anonymous', 'lead', 'nurture', 'recycled')
        )

),

with_previous as (

    select
        *,
        lag(stage) over (partition by person_id order by event_sequence) as previous_event_stage

    from applicable

),

meaningful as (

    select * from with_previous
    where not (is_score_event and stage = 'recycled' and coalesce(previous_event_stage, '') <> 'mql')

),

deduplicated as (

    select
        *,
        lag(stage) over (partition by person_id order by event_sequence) as previous_stage

    from meaningful

),

history as (

    select
        person_id,
        stage,
        entered_at,
        event_sequence,
        event_source,
        evidence

    from deduplicated
    where previous_stage is null or previous_stage <> stage

),

last_stage as (

    select
        person_id,
        stage,
        row_number() over (partition by person_id order by event_sequence desc) as recency

    from history

),

closing as (

    select
        stages_current.person_id,
        stages_current.stage,
        {{ as_of_timestamp() }} as entered_at,
        1000000000 as event_sequence,
        'current_state' as event_source,
        stages_current.stage_reason as evidence

    from stages_current
    left join last_stage
        on
            stages_current.person_id = last_stage.person_id
            and last_stage.recency = 1
    where last_stage.stage is null or last_stage.stage <> stages_current.stage

),

complete as (

    select * from history
    union all
    select * from closing

),

final as (

    select
        complete.person_id,
        complete.stage,
        lag(complete.stage) over (
            partition by complete.person_id order by complete.event_sequence
        ) as previous_stage,
        complete.entered_at,
        lead(complete.entered_at) over (
            partition by complete.person_id order by complete.event_sequence
        ) as exited_at,
        lead(complete.entered_at) over (
            partition by complete.person_id order by complete.event_sequence
        ) is null as is_current,
        row_number() over (
            partition by complete.person_id order by complete.event_sequence
        ) as stage_sequence,
        complete.event_source,
        complete.evidence,
        stages_current.definition_version as lead_definition_version

    from complete
    inner join stages_current
        on complete.person_id = stages_current.person_id

)

select * from final
