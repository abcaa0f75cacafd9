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
