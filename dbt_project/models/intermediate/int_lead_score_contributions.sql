-- Every rule of the lead definition that contributed to a person's score, with points
-- after decay and caps and the evidence behind them. Only people with a valid basis for
-- profiling are scored; only signals before the as-of moment count.
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

signals as (

    select * from {{ ref('int_signals_unioned') }}

),

people as (

    select person_id from {{ ref('int_people_profiled') }}
    where has_profiling_consent

),

matched_criteria as (

    select
        attributes.person_id,
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
    inner join criteria
        on attributes.attribute = criteria.attribute
    where
        case criteria.operator
            when 'eq' then attributes.value_text = criteria.value_text
            when 'in'
                then
                    '|' || criteria.value_text || '|' like '%|' || attributes.value_text || '|%'
            when 'gte' then attributes.value_number >= criteria.value_number
            when 'lte' then attributes.value_number <= criteria.value_number
        end

),

decayed as (

    select
        signals.person_id,
        signals.signal_type,
        signals.occurred_at,
        signals.evidence,
        rules.max_points,
        rules.points * case
            when rules.half_life_days is null then 1.0
            else power(
                0.5,
                {{ days_between('signals.occurred_at', as_of_timestamp()) }} / rules.half_life_days
            )
        end as points

    from signals
    inner join people
        on signals.person_id = people.person_id
    inner join rules
        on signals.signal_type = rules.signal_type
    where signals.occurred_at <= {{ as_of_timestamp() }}

),

evidence_ranked as (

    select
        *,
        row_number() over (
            partition by person_id, signal_type order by occurred_at desc, evidence asc
        ) as recency_rank

    from decayed

),

engagement as (

    select
        person_id,
        'engagement' as rule_kind,
        signal_type as rule_id,
        case
            when max(max_points) is null then sum(points)
            when sum(points) >= 0 then least(sum(points), max(max_points))
            else greatest(sum(points), -max(max_points))
        end as points,
        max(case when recency_rank = 1 then evidence end) as evidence,
        count(*) as signal_count,
        max(occurred_at) as last_signal_at

    from evidence_ranked
    group by person_id, signal_type

),

final as (

    select * from matched_criteria
    union all
    select * from engagement

)

select * from final
