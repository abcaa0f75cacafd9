-- Each known person's current score and stage as of the as-of moment. Precedence: CRM
-- outcomes first (customer, opportunity), then the law (no profiling basis: not a lead),
-- then disqualification, then sales feedback, then the lead definition (MQL; a recycled
-- lead who re-engages is an MQL again), then deal loss or score decay (recycled), else lead.
with

people as (

    select * from {{ ref('int_people_profiled') }}

),

person_definitions as (

    select * from {{ ref('int_person_definitions') }}

),

timeline as (

    select * from {{ ref('int_lead_score_timeline') }}

),

contributions as (

    select * from {{ ref('int_lead_score_contributions') }}

),

current_scores as (

    select * from timeline
    where is_as_of

),

score_history as (

    select
        person_id,
        max(case when meets_mql then 1 else 0 end) = 1 as has_met_mql

    from timeline
    group by person_id

),

knockouts as (

    select
        person_id,
        {{ dbt.listagg('rule_id', "', '", 'order by rule_id') }} as knockout_rules

    from contributions
    where rule_kind = 'knockout'
    group by person_id

),

final as (

    select
        people.person_id,
        person_definitions.definition_name,
        person_definitions.definition_version,
        coalesce(current_scores.fit_score, 0) as fit_score,
        coalesce(current_scores.engagement_score, 0) as engagement_score,
        coalesce(current_scores.total_score, 0) as total_score,
        coalesce(current_scores.temperature, 'cold') as temperature,
        knockouts.knockout_rules is not null as is_knocked_out,
        case
            when people.has_won_deal then 'customer'
            when people.has_open_deal then 'opportunity'
            when not people.has_profiling_consent then 'no_consent'
            when knockouts.knockout_rules is not null then 'disqualified'
            when people.lead_status = 'UNQUALIFIED' then 'disqualified'
            when people.lead_status = 'CONNECTED' then 'sql'
            when people.lead_status = 'IN_PROGRESS' then 'sal'
            when people.lead_status = 'BAD_TIMING' then 'nurture'
            when current_scores.meets_mql then 'mql'
            when people.has_lost_deal or score_history.has_met_mql then 'recycled'
            else 'lead'
        end as stage,
        case
            when people.has_won_deal then 'won deal in the CRM'
            when people.has_open_deal then 'open deal in the CRM'
            when not people.has_profiling_consent then 'no valid basis for profiling'
            when knockouts.knockout_rules is not null
                then 'knock-out: ' || knockouts.knockout_rules
            when people.lead_status = 'UNQUALIFIED' then 'rejected by sales'
            when people.lead_status = 'CONNECTED' then 'qualified by sales'
            when people.lead_status = 'IN_PROGRESS' then 'accepted by sales'
            when people.lead_status = 'BAD_TIMING' then 'sales: interested, bad timing'
            when current_scores.meets_mql then 'meets the MQL definition'
            when people.has_lost_deal then 'lost deal in the CRM'
            when score_history.has_met_mql then 'score decayed below the MQL definition'
            else 'known, consented, below the MQL definition'
        end as stage_reason

    from people
    inner join person_definitions
        on people.person_id = person_definitions.person_id
    left join current_scores
        on people.person_id = current_scores.person_id
    left join score_history
        on people.person_id = score_history.person_id
    left join knockouts
        on people.person_id = knockouts.person_id

)

select * from final
