-- int_lead_engagement_points unions the scoring history's parts, each tested unique on
-- (person_id, evaluated_at), and the current score summed per person at the as-of moment.
-- The union is unique too when no two of them can hold the same person at the same moment:
-- each history part holds only the people of its range of person ids (the ranges do not
-- overlap) and only moments before the as-of moment, and the current score only the as-of
-- moment. Rows breaking that fail.
--
-- The as-of moment is the one given to this invocation. When none was (dbt run by hand),
-- the models took the moment their dbt command started, and this test may run in a later
-- command: the moment is then the one the current score was built for, which must be
-- one moment, later than every moment of the history.
{% set current = ref('int_lead_engagement_current') %}
{% if given_as_of() %}
    {% set as_of = as_of_timestamp() %}
{% else %}
    {% set as_of = '(select coalesce(max(evaluated_at), ' ~ as_of_timestamp() ~ ') from ' ~ current ~ ')' %}
{% endif %}
{% for part in range(engagement_history_parts() | length) %}

    select
        'int_lead_engagement_history_{{ part }}' as part,
        person_id,
        evaluated_at

    from {{ ref('int_lead_engagement_history_' ~ part) }}
    where
        not coalesce({{ engagement_history_part_filter('person_id', part) }}, false)
        or not coalesce(evaluated_at < {{ as_of }}, false)
        or coalesce(is_as_of, true)

    union all

{% endfor %}

select
    'int_lead_engagement_current' as part,
    person_id,
    evaluated_at

from {{ current }}
where
    not coalesce(evaluated_at = {{ as_of }}, false)
    or not is_as_of
