{#- The model has no rows. As a warning it counts what a model reports (e.g. values that
    staging could not type) in every build without stopping it. -#}
{% test is_empty(model) %}

select * from {{ model }}

{% endtest %}
