{{ config(materialized='view') }}
-- Engagement points per person at every past evaluation moment (each arrival of a
-- positive signal before the as-of moment), summed over the rules: the parts of the
-- scoring history, each built incrementally by person for one range of person ids so
-- that no single statement holds everyone's moments and signals at once
-- (macros/engagement_history.sql).
{% for part in range(engagement_history_parts() | length) %}
    {% if not loop.first %}
        union all
    {% endif %}
    select {{ engagement_history_columns() | join(', ') }}
    from {{ ref('int_lead_engagement_history_' ~ part) }}
{% endfor %}
