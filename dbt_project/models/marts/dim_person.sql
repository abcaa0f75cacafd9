-- One row per known person: current scores, temperature, stage (and since when), the
-- segment and lead definition version that scored them, account, owner and consent.
with

people as (

    select * from {{ ref('int_people_profiled') }}

),

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

stages as (

    select * from {{ ref('int_lead_stages_current') }}

),

contributions as (

    select * from {{ ref('int_lead_score_contributions') }}

),

transitions as (

    select * from {{ ref('fct_lead_stage_transition') }}

),

hot_episodes as (

    select * from {{ ref('int_lead_hot_episodes') }}

),

horizons as (

    select * from {{ ref('lead_nurture_horizons') }}

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

stage_dates as (

    select
        person_id,
        max(case when is_current then entered_at end) as stage_entered_at,
        min(case when stage = 'mql' then entered_at end) as first_mql_at

    from transitions
    group by person_id

),

current_hot as (

    select
        person_id,
        max(became_hot_at) as became_hot_at

    from hot_episodes
    where cooled_at is null
    group by person_id

),

horizon_matches as (

    select
        people.person_id,
        horizons.horizon_id,
        horizons.days,
        row_number() over (
            partition by people.person_id order by horizons.horizon_rank
        ) as horizon_choice

    from people
    inner join stages
        on people.person_id = stages.person_id
    inner join horizons
        on stages.definition_name = horizons.definition_name
    where
        stages.stage in ('nurture', 'recycled')
        and (
            horizons.min_interest_level is null
            or people.interest_level >= horizons.min_interest_level
        )

),

final as (

    select
        people.person_id,
        people.contact_id as crm_contact_id,
        people.email,
        people.first_name,
        people.last_name,
        people.job_title,
        people.job_function,
        people.seniority,
        people.account_id,
        accounts.account_name,
        accounts.industry,
        people.owner_id,
        people.lead_status,
        people.interest_level,
        round(stages.fit_score, 1) as fit_score,
        round(stages.engagement_score, 1) as engagement_score,
        round(stages.total_score, 1) as total_score,
        stages.is_knocked_out,
        stages.temperature,
        current_hot.became_hot_at,
        stages.stage,
        stages.stage_reason,
        stage_dates.stage_entered_at,
        stage_dates.first_mql_at,
        horizon_matches.horizon_id as nurture_horizon,
        {{ dbt.dateadd('day', 'horizon_matches.days', 'stage_dates.stage_entered_at') }}
            as recontact_at,
        people.has_email_marketing_consent,
        people.has_sales_contact_consent,
        people.has_profiling_consent,
        explanations.score_explanation,
        stages.definition_name as lead_definition_name,
        stages.definition_version as lead_definition_version,
        {{ as_of_timestamp() }} as scored_at

    from people
    inner join stages
        on people.person_id = stages.person_id
    left join accounts
        on people.account_id = accounts.account_id
    left join explanations
        on people.person_id = explanations.person_id
    left join stage_dates
        on people.person_id = stage_dates.person_id
    left join current_hot
        on people.person_id = current_hot.person_id
    left join horizon_matches
        on
            people.person_id = horizon_matches.person_id
            and horizon_matches.horizon_choice = 1

)

select * from final
