{#- The rows of `relation` whose text in `value` is not a `type`: the values lenient_cast
    turns into nulls in staging, one row each with the record, the text and the reason,
    so that a value typed by hand is reported, not only lost. An empty or blank text is
    no value and is not reported. `raw` is the text shown (the whole column where `value`
    is a part of it) and `reason` replaces the default one; `usable`, a condition on the
    value, replaces the cast for a value that needs more than its type (a check digit). -#}
{% macro values_not_typed(
    relation, table_label, key, value, type, column_label, raw=none, reason=none,
    usable=none, load_id='_dlt_load_id'
) -%}
select
    '{{ table_label }}' as source_table,
    cast({{ key }} as {{ dbt.type_string() }}) as record_id,
    '{{ column_label }}' as column_name,
    cast({{ raw or value }} as {{ dbt.type_string() }}) as raw_value,
    '{{ type }}' as expected_type,
    '{{ reason or column_label ~ " is not of type " ~ type }}' as reason,
    cast({{ load_id }} as {{ dbt.type_string() }}) as dlt_load_id

from {{ relation }}
where
    {{ value }} is not null
    and trim(cast({{ value }} as {{ dbt.type_string() }})) <> ''
    {% if usable -%}
    and not ({{ usable }})
    {%- else -%}
    and {{ lenient_cast(value, type) }} is null
    {%- endif %}
{%- endmacro %}
