-- Backtest of the lead definition against outcomes in the CRM. Each scored person is
-- judged by what was known before their first deal was created (or, with no deal, by
-- the as-of moment), so activity after the outcome cannot leak into the score:
--   score_decile   conversion to won deals by decile of the highest pre-deal score
--   stage          conversion by the furthest funnel stage reached before the deal
--   mql_threshold  precision and recall of "met the MQL definition before the deal"
with

people as (

    select * from {{ ref('int_people_profiled') }}
    where has_profiling_consent

),

timeline as (

    select * from {{ ref('int_lead_score_timeline') }}

),

transitions as (

    select * from {{ ref('fct_lead_stage_transition') }}

),

first_deals as (

    select
        person_id,
        min(entered_at) as first_deal_at

    from transitions
    where stage = 'opportunity'
    group by person_id

),

cutoffs as (

    select
        people.person_id,
        people.has_won_deal as is_won,
        coalesce(first_deals.first_deal_at, {{ as_of_timestamp() }}) as cutoff_at

    from people
    left join first_deals
        on people.person_id = first_deals.person_id

),

pre_deal_scores as (

    -- The join keeps every point up to and including the cutoff, so it stays a hash join
    -- on person_id; a point exactly at the cutoff counts only when it is the as-of
    -- evaluation itself (an `or` in the join condition would compare every pair of rows).
    select
        cutoffs.person_id,
        cutoffs.is_won,
        coalesce(
            max(
                case
                    when cutoffs.cutoff_at > timeline.evaluated_at or timeline.is_as_of
                        then timeline.total_score
                end
            ),
            0
        ) as peak_score,
        max(
            case
                when
                    (cutoffs.cutoff_at > timeline.evaluated_at or timeline.is_as_of)
                    and timeline.meets_mql
                    then 1
                else 0
            end
        ) = 1 as met_mql

    from cutoffs
    left join timeline
        on
            cutoffs.person_id = timeline.person_id
            and cutoffs.cutoff_at >= timeline.evaluated_at
    group by cutoffs.person_id, cutoffs.is_won

),

pre_deal_stages as (

    select
        cutoffs.person_id,
        max(
            case transitions.stage
                when 'mql' then 2
                when 'sal' then 3
                when 'sql' then 4
                else 1
            end
        ) as furthest_step

    from cutoffs
    inner join transitions
        on
            cutoffs.person_id = transitions.person_id
            and cutoffs.cutoff_at > transitions.entered_at
            and transitions.stage in ('lead', 'mql', 'sal', 'sql')
    group by cutoffs.person_id

),

scored as (

    select
        pre_deal_scores.*,
        coalesce(pre_deal_stages.furthest_step, 1) as furthest_step,
        ntile(10) over (order by pre_deal_scores.peak_score, pre_deal_scores.person_id)
            as score_decile

    from pre_deal_scores
    left join pre_deal_stages
        on pre_deal_scores.person_id = pre_deal_stages.person_id

),

overall as (

    select
        cast(count(*) as {{ dbt.type_bigint() }}) as people,
        cast(sum(case when is_won then 1 else 0 end) as {{ dbt.type_bigint() }}) as won_deals

    from scored

),

deciles as (

    select
        'score_decile' as slice_kind,
        'decile ' || cast(score_decile as {{ dbt.type_string() }}) as slice_label,
        cast(score_decile as {{ dbt.type_bigint() }}) as slice_order,
        cast(count(*) as {{ dbt.type_bigint() }}) as people,
        cast(sum(case when is_won then 1 else 0 end) as {{ dbt.type_bigint() }}) as won_deals,
        min(peak_score) as min_score,
        max(peak_score) as max_score

    from scored
    group by score_decile

),

stages as (

    select
        'stage' as slice_kind,
        case furthest_step when 2 then 'mql' when 3 then 'sal' when 4 then 'sql' else 'lead' end
            as slice_label,
        cast(furthest_step as {{ dbt.type_bigint() }}) as slice_order,
        cast(count(*) as {{ dbt.type_bigint() }}) as people,
        cast(sum(case when is_won then 1 else 0 end) as {{ dbt.type_bigint() }}) as won_deals,
        min(peak_score) as min_score,
        max(peak_score) as max_score

    from scored
    group by furthest_step

),

threshold as (

    select
        'mql_threshold' as slice_kind,
        'met the MQL definition before the deal' as slice_label,
        cast(1 as {{ dbt.type_bigint() }}) as slice_order,
        cast(sum(case when met_mql then 1 else 0 end) as {{ dbt.type_bigint() }}) as people,
        cast(sum(case when met_mql and is_won then 1 else 0 end) as {{ dbt.type_bigint() }})
            as won_deals,
        min(case when met_mql then peak_score end) as min_score,
        max(case when met_mql then peak_score end) as max_score

    from scored

),

slices as (

    select * from deciles
    union all
    select * from stages
    union all
    select * from threshold

),

final as (

    select
        slices.slice_kind,
        slices.slice_label,
        slices.slice_order,
        slices.people,
        slices.won_deals,
        round(slices.won_deals * 1.0 / nullif(slices.people, 0), 4) as conversion_rate,
        round(
            (slices.won_deals * 1.0 / nullif(slices.people, 0))
            / nullif(overall.won_deals * 1.0 / nullif(overall.people, 0), 0),
            2
        ) as lift,
        round(slices.min_score, 1) as min_score,
        round(slices.max_score, 1) as max_score,
        case
            when slices.slice_kind = 'mql_threshold'
                then round(slices.won_deals * 1.0 / nullif(slices.people, 0), 4)
        end as mql_precision,
        case
            when slices.slice_kind = 'mql_threshold'
                then round(slices.won_deals * 1.0 / nullif(overall.won_deals, 0), 4)
        end as mql_recall,
        overall.people as population,
        overall.won_deals as population_won_deals,
        {{ as_of_timestamp() }} as scored_at

    from slices
    cross join overall

)

select * from final
