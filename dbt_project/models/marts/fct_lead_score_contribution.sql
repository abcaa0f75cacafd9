-- Why a person has their score: one row per person and rule that contributed as of the
-- as-of moment, with points after decay and caps, the evidence, and a sentence a
-- salesperson can read. Stamped with the lead definition and its version.
with

contributions as (

    select * from {{ ref('int_lead_score_contributions') }}

),

final as (

    select
        person_id,
        rule_kind,
        rule_id,
        round(points, 2) as points,
        signal_count,
        last_signal_at,
        evidence,
        case
            when rule_kind = 'knockout' then 'Knock-out: ' || evidence
            when rule_kind = 'fit' then 'Fit: ' || evidence || ', '
            else
                'Behaviour: ' || evidence || ' (' || cast(signal_count as {{ dbt.type_string() }})
                || case when signal_count = 1 then ' time), ' else ' times), ' end
        end
        || case
            when rule_kind = 'knockout' then ''
            else
                case when points >= 0 then '+' else '' end
                || cast(round(points, 1) as {{ dbt.type_string() }}) || ' points'
        end as explanation,
        definition_name as lead_definition_name,
        definition_version as lead_definition_version,
        {{ as_of_timestamp() }} as scored_at

    from contributions

)

select * from final
