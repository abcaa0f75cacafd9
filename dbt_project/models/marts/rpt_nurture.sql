-- Not-ready leads (nurture: interested but bad timing; recycled: deal lost or score
-- decayed) grouped by the definition's nurture horizon and self-reported interest, with
-- how many marketing may e-mail and how many are due for a new approach.
with

people as (

    select * from {{ ref('dim_person') }}
    where stage in ('nurture', 'recycled')

),

final as (

    select
        lead_definition_name,
        nurture_horizon,
        stage,
        coalesce(cast(interest_level as {{ dbt.type_string() }}), 'unknown') as interest_level,
        count(*) as people,
        cast(sum(case when has_email_marketing_consent then 1 else 0 end) as {{ dbt.type_bigint() }})
            as email_eligible_people,
        cast(sum(case when recontact_at <= scored_at then 1 else 0 end) as {{ dbt.type_bigint() }})
            as due_now,
        min(case when recontact_at > scored_at then recontact_at end) as next_recontact_at,
        round(avg(total_score), 1) as avg_total_score,
        max(scored_at) as scored_at

    from people
    group by lead_definition_name, nurture_horizon, stage, interest_level

)

select * from final
