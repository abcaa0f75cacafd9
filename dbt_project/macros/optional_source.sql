{#- A source table that a deployment may not have (e.g. no Companies House files): select
    from it when it exists, else an empty relation with the same columns, so staging and
    everything downstream still build. `columns` maps column name to data type. -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {#- In a dbt unit test the source is the test's rows, a CTE with no schema. -#}
    {%- set fixture = relation.schema is none -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) if execute and not fixture else none -%}
    {%- if existing is not none or fixture -%}
        (select {% for name in columns %}{{ name }}{{ ", " if not loop.last }}{% endfor %} from {{ relation }})
    {%- else -%}
        (select
            {% for name, data_type in columns.items() -%}
            cast(null as {{ data_type }}) as {{ name }}{{ "," if not loop.last }}
            {% endfor -%}
        where 1 = 0)
    {%- endif -%}
{%- endmacro %}

{#- A column a source table may lack (e.g. a custom CRM property nobody has filled yet:
    dlt creates columns only for values it has seen): the column when the table has it,
    else a typed null. `qualifier` is the table's alias in the query, if it needs one. -#}
{% macro optional_column(source_name, table_name, column, data_type, qualifier=none) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for existing in adapter.get_columns_in_relation(relation) -%}
            {%- do names.append(existing.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if column | lower in names -%}
        cast({{ qualifier ~ '.' if qualifier }}{{ column }} as {{ data_type }})
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
