{#- Helpers that read the lead definition's seeds. -#}

{#- True when an attribute row satisfies a criterion or condition row (eq / in / gte / lte).
    Text values of 'in' lists are kept '|'-separated in the seed. -#}
{% macro criterion_matches(attributes, criteria) -%}
    case {{ criteria }}.operator
        when 'eq' then {{ attributes }}.value_text = {{ criteria }}.value_text
        when 'in'
            then
                '|' || {{ criteria }}.value_text || '|'
                like '%|' || {{ attributes }}.value_text || '|%'
        when 'gte' then {{ attributes }}.value_number >= {{ criteria }}.value_number
        when 'lte' then {{ attributes }}.value_number <= {{ criteria }}.value_number
        else false
    end
{%- endmacro %}

{#- Long form of a wide relation: one row per key and attribute, text and number values,
    so criteria are data and a new criterion on a known attribute needs no SQL. -#}
{% macro unpivot_attributes(relation, key, text=[], flags=[], numbers=[]) -%}
    {%- set parts = [] -%}
    {%- for attribute in text -%}
        {%- do parts.append(
            "select " ~ key ~ ", '" ~ attribute ~ "' as attribute, cast(" ~ attribute ~ " as "
            ~ dbt.type_string() ~ ") as value_text, cast(null as double) as value_number from "
            ~ relation
        ) -%}
    {%- endfor -%}
    {%- for attribute in flags -%}
        {%- do parts.append(
            "select " ~ key ~ ", '" ~ attribute ~ "' as attribute, case when " ~ attribute
            ~ " then 'true' when not " ~ attribute ~ " then 'false' end as value_text,"
            ~ " cast(null as double) as value_number from " ~ relation
        ) -%}
    {%- endfor -%}
    {%- for attribute in numbers -%}
        {%- do parts.append(
            "select " ~ key ~ ", '" ~ attribute ~ "' as attribute, cast(" ~ attribute ~ " as "
            ~ dbt.type_string() ~ ") as value_text, cast(" ~ attribute
            ~ " as double) as value_number from " ~ relation
        ) -%}
    {%- endfor -%}
    {{ parts | join('\nunion all\n') }}
{%- endmacro %}

{#- Points of one signal occurrence at a moment: the rule's points, halved every
    half_life_days (occurrences outside a rule's window_days are filtered out before). -#}
{% macro decayed_points(rules, occurred_at, moment) -%}
    {{ rules }}.points * case
        when {{ rules }}.half_life_days is null then 1.0
        else power(0.5, {{ days_between(occurred_at, moment) }} / {{ rules }}.half_life_days)
    end
{%- endmacro %}

{#- The period a capped rule counts its points in (null: the cap covers all time). -#}
{% macro cap_period_start(rules, occurred_at) -%}
    case {{ rules }}.cap_period
        when 'day' then {{ dbt.date_trunc('day', occurred_at) }}
        when 'week' then {{ dbt.date_trunc('week', occurred_at) }}
        when 'month' then {{ dbt.date_trunc('month', occurred_at) }}
        when 'quarter' then {{ dbt.date_trunc('quarter', occurred_at) }}
    end
{%- endmacro %}

{#- A sum of points held within +/- cap (no cap when cap is null). -#}
{% macro capped(total, cap) -%}
    case
        when {{ cap }} is null then {{ total }}
        when {{ total }} >= 0 then least({{ total }}, {{ cap }})
        else greatest({{ total }}, -{{ cap }})
    end
{%- endmacro %}

{#- CTEs computing engagement points per person, evaluation moment and rule, after decay,
    windows and caps, from a relation of moments (person_id, evaluated_at, is_as_of) and
    one of scored signals with their rule (int_lead_engagement_signals' columns). The last
    CTE is named `engagement_points`; the caller writes `with ..., {{ this macro }}`. One
    definition of the arithmetic for past moments and the as-of moment alike. -#}
{% macro engagement_points_ctes(moments, signals) -%}

occurrences as (

    select
        {{ moments }}.person_id,
        {{ moments }}.evaluated_at,
        {{ moments }}.is_as_of,
        {{ signals }}.signal_type,
        {{ signals }}.occurred_at,
        {{ signals }}.max_points,
        {{ cap_period_start(signals, signals ~ '.occurred_at') }} as cap_period_start,
        -- Fixed-point points: sums of decimals do not depend on the order rows are added
        -- in (sums of doubles do, in the last bits), so every build gives the same scores.
        cast(
            {{ decayed_points(signals, signals ~ '.occurred_at', moments ~ '.evaluated_at') }}
            as decimal(18, 6)
        ) as points

    from {{ moments }}
    inner join {{ signals }}
        on
            {{ moments }}.person_id = {{ signals }}.person_id
            and {{ moments }}.evaluated_at >= {{ signals }}.occurred_at
    -- An occurrence older than its rule's window no longer counts at all.
    where
        {{ signals }}.window_days is null
        or {{ days_between(signals ~ '.occurred_at', moments ~ '.evaluated_at') }}
        <= {{ signals }}.window_days

),

per_period as (

    select
        person_id,
        evaluated_at,
        is_as_of,
        signal_type,
        {{ capped('sum(points)', 'cast(max(max_points) as decimal(18, 6))') }} as points,
        count(*) as signal_count,
        max(occurred_at) as last_signal_at

    from occurrences
    group by person_id, evaluated_at, is_as_of, signal_type, cap_period_start

),

engagement_points as (

    select
        person_id,
        evaluated_at,
        is_as_of,
        signal_type,
        cast(sum(points) as decimal(18, 6)) as points,
        cast(sum(signal_count) as {{ dbt.type_bigint() }}) as signal_count,
        max(last_signal_at) as last_signal_at

    from per_period
    group by person_id, evaluated_at, is_as_of, signal_type

)

{%- endmacro %}

{#- An order-independent fingerprint of a group of rows: the count and the sum of a
    64-bit hash of each row's values, so a change to any row, an added or a removed one
    changes it (except by a hash collision). Used to find the people whose inputs changed
    since the last build. -#}
{% macro set_fingerprint(columns) -%}
    {{ return(adapter.dispatch('set_fingerprint', 'leadhouse')(columns)) }}
{%- endmacro %}

{% macro default__set_fingerprint(columns) -%}
    cast(count(*) as {{ dbt.type_string() }}) || ':'
    || cast(sum(cast(hash({{ columns | join(', ') }}) as hugeint)) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__set_fingerprint(columns) -%}
    cast(count(*) as string) || ':'
    || cast(sum(cast(xxhash64({{ columns | join(', ') }}) as decimal(38, 0))) as string)
{%- endmacro %}
