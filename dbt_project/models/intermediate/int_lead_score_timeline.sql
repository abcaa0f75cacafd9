-- Each scored person's score at every evaluation moment (each arrival of a positive
-- signal, and the as-of moment): fit, engagement, total, temperature and whether the
-- person met the MQL definition then. Fit uses today's attributes; engagement is decayed
-- to each moment, so the first moment a person turned hot or met the MQL bar is exact.
with

engagement_points as (

    select * from {{ ref('int_lead_engagement_points') }}

),

contributions as (

    select * from {{ ref('int_lead_score_contributions') }}

),

person_definitions as (

    select * from {{ ref('int_person_definitions') }}

),

people as (

    select person_id from {{ ref('int_people_profiled') }}
    where has_profiling_consent

),

fit as (

    select
        person_id,
        sum(case when rule_kind = 'fit' then points else 0 end) as fit_score,
        max(case when rule_kind = 'knockout' then 1 else 0 end) = 1 as is_knocked_out

    from contributions
    group by person_id

),

-- Every scored person has a row at the as-of moment: a zero for each is added to the points
-- before they are summed, so people without any engagement yet keep their fit as their
-- score. The points are read once: a second reference to them (it was an anti-join for
-- those people) made the database materialise the whole history first (at L 98 M rows;
-- this model took 86 s, 18 s now).
points_and_people as (

    select
        person_id,
        evaluated_at,
        is_as_of,
        points

    from engagement_points

    union all

    select
        person_id,
        {{ as_of_timestamp() }} as evaluated_at,
        true as is_as_of,
        0 as points

    from people

),

engagement as (

    select
        person_id,
        evaluated_at,
        is_as_of,
        cast(sum(points) as double) as engagement_score

    from points_and_people
    group by person_id, evaluated_at, is_as_of

),

scored as (

    select
        engagement.person_id,
        engagement.evaluated_at,
        engagement.is_as_of,
        coalesce(fit.fit_score, 0) as fit_score,
        engagement.engagement_score,
        coalesce(fit.fit_score, 0) + engagement.engagement_score as total_score,
        coalesce(fit.is_knocked_out, false) as is_knocked_out,
        person_definitions.mql_score,
        person_definitions.mql_min_fit,
        person_definitions.warm_score,
        person_definitions.hot_score

    from engagement
    inner join person_definitions
        on engagement.person_id = person_definitions.person_id
    left join fit
        on engagement.person_id = fit.person_id

),

final as (

    select
        person_id,
        evaluated_at,
        is_as_of,
        fit_score,
        engagement_score,
        total_score,
        case
            when total_score >= hot_score then 'hot'
            when total_score >= warm_score then 'warm'
            else 'cold'
        end as temperature,
        not is_knocked_out
        and total_score >= mql_score
        and fit_score >= mql_min_fit as meets_mql

    from scored

)

select * from final
