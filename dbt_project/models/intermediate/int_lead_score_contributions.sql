-- Every rule of the person's lead definition that contributed to their score as of the
-- as-of moment: fit criteria and knock-outs met, and engagement rules with points after
-- decay and caps, each with the evidence behind it and the definition version.
-- Only people with a valid basis for profiling are scored.
with

attributes as (

    select * from {{ ref('int_person_attributes') }}

),

criteria as (

    select * from {{ ref('lead_fit_criteria') }}

),

rules as (

    select * from {{ ref('lead_engagement_rules') }}

),

person_definitions as (

    select * from {{ ref('int_person_definitions') }}

),

people as (

    select person_id from {{ ref('int_people_profiled') }}
    where has_profiling_consent

),

engagement_points as (

    select * from {{ ref('int_lead_engagement_current') }}

),

signals as (

    select * from {{ ref('int_signals_unioned') }}
    where occurred_at <= {{ as_of_timestamp() }}

),

matched_criteria as (

    select
        attributes.person_id,
        person_definitions.definition_name,
        person_definitions.definition_version,
        criteria.criterion_kind as rule_kind,
        criteria.criterion_id as rule_id,
        cast(criteria.points as double) as points,
        criteria.description || ' (' || attributes.attribute || ' = '
        || coalesce(attributes.value_text, 'unknown') || ')' as evidence,
        1 as signal_count,
        cast(null as timestamp) as last_signal_at

    from attributes
    inner join people
        on attributes.person_id = people.person_id
    inner join person_definitions
        on attributes.person_id = person_definitions.person_id
    inner join criteria
        on
            person_definitions.definition_name = criteria.definition_name
            and attributes.attribute = criteria.attribute
    where {{ criterion_matches('attributes', 'criteria') }}

),

-- The evidence of a rule is that of the latest occurrence it counted (the engagement
-- points' last_signal_at; the smallest evidence text when several share that moment).
-- An occurrence it did not count, such as one while the person had no valid basis for
-- profiling, is not shown as the reason for points. A join on that moment, not a rank
-- over every signal: at L that part took 14-16 s instead of 23-25 s, the whole model a
-- median 33.2 s against 34.4 s (within the noise).
latest_evidence as (

    select
        signals.person_id,
        signals.signal_type,
        min(signals.evidence) as evidence

    from signals
    inner join engagement_points
        on
            signals.person_id = engagement_points.person_id
            and signals.signal_type = engagement_points.signal_type
            and signals.occurred_at = engagement_points.last_signal_at
    group by signals.person_id, signals.signal_type

),

engagement as (

    select
        engagement_points.person_id,
        person_definitions.definition_name,
        person_definitions.definition_version,
        'engagement' as rule_kind,
        engagement_points.signal_type as rule_id,
        cast(engagement_points.points as double) as points,
        rules.description || ': ' || coalesce(latest_evidence.evidence, 'no detail')
            as evidence,
        engagement_points.signal_count,
        engagement_points.last_signal_at

    from engagement_points
    inner join person_definitions
        on engagement_points.person_id = person_definitions.person_id
    inner join rules
        on
            person_definitions.definition_name = rules.definition_name
            and engagement_points.signal_type = rules.signal_type
    left join latest_evidence
        on
            engagement_points.person_id = latest_evidence.person_id
            and engagement_points.signal_type = latest_evidence.signal_type

),

final as (

    select * from matched_criteria
    union all
    select * from engagement

)

select * from final
