-- One row per known person: current scores, temperature, stage, account, owner, consent
-- and the lead definition version that scored them.
with

people as (

    select * from {{ ref('int_people_profiled') }}

),

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

contributions as (

    select * from {{ ref('int_lead_score_contributions') }}

),

thresholds as (

    select * from {{ ref('lead_thresholds') }}

),

scores as (

    select
        person_id,
        sum(case when rule_kind = 'fit' then points else 0 end) as fit_score,
        sum(case when rule_kind = 'engagement' then points else 0 end) as engagement_score,
        max(case when rule_kind = 'knockout' then 1 else 0 end) = 1 as is_knocked_out

    from contributions
    group by person_id

),

ranked_contributions as (

    select
        person_id,
        rule_id,
        points,
        row_number() over (
            partition by person_id order by abs(points) desc, rule_id
        ) as contribution_rank

    from contributions
    where rule_kind = 'knockout' or points <> 0

),

explanations as (

    select
        person_id,
        {{ dbt.listagg(
            "rule_id || ' ' || case when points >= 0 then '+' else '' end || cast(cast(round(points, 0) as integer) as " ~ dbt.type_string() ~ ")",
            "', '",
            "order by contribution_rank"
        ) }} as score_explanation

    from ranked_contributions
    where contribution_rank <= 3
    group by person_id

),

scored as (

    select
        people.*,
        accounts.account_name,
        accounts.industry,
        round(coalesce(scores.fit_score, 0), 1) as fit_score,
        round(coalesce(scores.engagement_score, 0), 1) as engagement_score,
        round(coalesce(scores.fit_score, 0) + coalesce(scores.engagement_score, 0), 1)
            as total_score,
        coalesce(scores.is_knocked_out, false) as is_knocked_out,
        explanations.score_explanation,
        thresholds.definition_name,
        thresholds.definition_version,
        thresholds.mql_score,
        thresholds.mql_min_fit,
        thresholds.warm_score,
        thresholds.hot_score

    from people
    cross join thresholds
    left join accounts
        on people.account_id = accounts.account_id
    left join scores
        on people.person_id = scores.person_id
    left join explanations
        on people.person_id = explanations.person_id

),

final as (

    select
        person_id,
        contact_id as crm_contact_id,
        email,
        first_name,
        last_name,
        job_title,
        job_function,
        seniority,
        account_id,
        account_name,
        industry,
        owner_id,
        lead_status,
        interest_level,
        fit_score,
        engagement_score,
        total_score,
        is_knocked_out,
        case
            when total_score >= hot_score then 'hot'
            when total_score >= warm_score then 'warm'
            else 'cold'
        end as temperature,
        -- Precedence: CRM outcomes first, then the law, then sales feedback, then score.
        case
            when has_won_deal then 'customer'
            when has_open_deal then 'opportunity'
            when not has_profiling_consent then 'no_consent'
            when is_knocked_out or lead_status = 'UNQUALIFIED' then 'disqualified'
            when lead_status = 'CONNECTED' then 'sql'
            when lead_status = 'IN_PROGRESS' then 'sal'
            when lead_status = 'BAD_TIMING' then 'nurture'
            when has_lost_deal then 'recycled'
            when total_score >= mql_score and fit_score >= mql_min_fit then 'mql'
            else 'lead'
        end as stage,
        has_email_marketing_consent,
        has_sales_contact_consent,
        has_profiling_consent,
        score_explanation,
        definition_name as lead_definition_name,
        definition_version as lead_definition_version,
        {{ as_of_timestamp() }} as scored_at

    from scored

)

select * from final
