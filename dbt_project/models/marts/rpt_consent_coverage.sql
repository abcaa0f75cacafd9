-- Consent coverage for auditors. Grain: purpose x channel x consent source (of the basis
-- in force, or 'none') x segment x month (the month that basis was captured, or the month
-- the person became known when there is none). For each group: known people, people with
-- a valid basis now, people processed for the purpose (scored, in the sales queue, in the
-- e-mail audience) and, of those, people processed without a basis, which must be 0; and
-- how complete the proof is (lawful basis, policy version, evidence id, capture time).
with

people as (

    select * from {{ ref('dim_person') }}

),

channels as (

    select * from {{ ref('consent_channels') }}

),

consent as (

    select * from {{ ref('int_consent_current') }}

),

purpose_consent as (

    select
        person_id,
        purpose,
        max(case when has_consent then 1 else 0 end) = 1 as has_purpose_consent

    from consent
    group by person_id, purpose

),

processed as (

    select distinct
        person_id,
        'profiling' as purpose

    from {{ ref('fct_lead_score_contribution') }}
    where rule_kind = 'engagement'

    union all

    select
        person_id,
        'sales_contact' as purpose

    from {{ ref('rpt_sales_handover') }}

    union all

    select
        person_id,
        'email_marketing' as purpose

    from {{ ref('rpt_email_audience') }}

),

per_person as (

    select
        people.person_id,
        people.lead_definition_name,
        channels.purpose,
        channels.channel,
        coalesce(consent.has_consent, false) as has_consent,
        case when consent.has_consent then consent.consent_source else 'none' end
            as consent_source,
        {{ dbt.date_trunc(
            'month',
            'coalesce(case when consent.has_consent then consent.consent_given_at end, '
            ~ 'people.stage_entered_at, people.scored_at)'
        ) }} as coverage_month,
        processed.person_id is not null as is_processed,
        processed.person_id is not null
        and not coalesce(purpose_consent.has_purpose_consent, false) as is_processed_without_basis,
        consent.has_consent
        and consent.lawful_basis is not null
        and consent.policy_version is not null
        and consent.evidence_id is not null
        and consent.consent_given_at is not null as has_complete_proof

    from people
    cross join channels
    left join consent
        on
            people.person_id = consent.person_id
            and channels.purpose = consent.purpose
            and channels.channel = consent.channel
    left join purpose_consent
        on
            people.person_id = purpose_consent.person_id
            and channels.purpose = purpose_consent.purpose
    left join processed
        on
            people.person_id = processed.person_id
            and channels.purpose = processed.purpose

),

final as (

    select
        purpose,
        channel,
        consent_source,
        lead_definition_name,
        coverage_month,
        cast(count(*) as {{ dbt.type_bigint() }}) as people,
        cast(sum(case when has_consent then 1 else 0 end) as {{ dbt.type_bigint() }})
            as people_with_basis,
        round(avg(case when has_consent then 1.0 else 0.0 end), 4) as coverage_rate,
        cast(sum(case when is_processed then 1 else 0 end) as {{ dbt.type_bigint() }})
            as people_processed,
        cast(sum(case when is_processed_without_basis then 1 else 0 end) as {{ dbt.type_bigint() }})
            as people_processed_without_basis,
        round(
            sum(case when has_complete_proof then 1.0 else 0.0 end)
            / nullif(sum(case when has_consent then 1.0 else 0.0 end), 0),
            4
        ) as proof_completeness_rate

    from per_person
    group by purpose, channel, consent_source, lead_definition_name, coverage_month

)

select * from final
