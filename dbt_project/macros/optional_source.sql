{#- A source table read by its declared columns, whatever the landing held: the table
    with those columns when it exists, a column it lacks as a typed null (dlt creates a
    column only for values it has seen), and an empty relation with the same columns when
    the table itself is missing (a landing without web events yet, a CRM export without
    meetings, no Companies House files). So staging and everything downstream still build.
    The columns and their dlt types are those the table declares in the sources' YAML
    (`raw_type` turns the types into SQL types). -#}
{% macro optional_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {#- Parsing: only the dependency is recorded. -#}
        {{ relation }}
    {%- else -%}
        {#- In a dbt unit test the source is the test's rows, a CTE with no schema and
            with the columns the warehouse's table has. -#}
        {%- if relation.schema is none -%}
            (select * from {{ relation }})
        {%- else -%}
            {%- set wanted = declared_source_columns(source_name, table_name) -%}
            {%- set existing = adapter.get_relation(
                database=relation.database, schema=relation.schema, identifier=relation.identifier
            ) -%}
            {%- set present = [] -%}
            {%- if existing is not none -%}
                {%- for column in adapter.get_columns_in_relation(existing) -%}
                    {%- do present.append(column.name | lower) -%}
                {%- endfor -%}
            {%- endif -%}
            (select
                {% for name, data_type in wanted.items() -%}
                {%- if name | lower in present -%}
                {{ adapter.quote(name) }}
                {%- else -%}
                cast(null as {{ data_type }}) as {{ adapter.quote(name) }}
                {%- endif -%}
                {{ "," if not loop.last }}
                {% endfor -%}
            {% if existing is not none -%}
            from {{ relation }}
            {%- else -%}
            where 1 = 0
            {%- endif %})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The columns a source table declares in the sources' YAML (`columns:` with dlt's type
    names as `data_type`), as {name: SQL type}, in their declared order. -#}
{% macro declared_source_columns(source_name, table_name) -%}
    {%- set found = {} -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == source_name and node.name == table_name -%}
            {%- for name, column in node.columns.items() -%}
                {%- do found.update({name: raw_type(column.data_type)}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error(
            "source " ~ source_name ~ "." ~ table_name ~ " declares no columns: add them, "
            ~ "with dlt's data types, to its sources YAML"
        ) }}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}

{#- The SQL type of a dlt data type, as dlt creates it in the warehouse. -#}
{% macro raw_type(dlt_type) -%}
    {{ return(adapter.dispatch('raw_type')(dlt_type)) }}
{%- endmacro %}

{% macro default__raw_type(dlt_type) -%}
    {%- set types = {
        'text': dbt.type_string(),
        'bigint': dbt.type_bigint(),
        'double': dbt.type_float(),
        'bool': dbt.type_boolean(),
        'date': 'date',
        'timestamp': dbt.type_timestamp(),
    } -%}
    {%- if dlt_type not in types -%}
        {{ exceptions.raise_compiler_error("no SQL type for the dlt data type " ~ dlt_type) }}
    {%- endif -%}
    {{ return(types[dlt_type]) }}
{%- endmacro %}

{#- dlt's DuckDB timestamps carry their zone. -#}
{% macro duckdb__raw_type(dlt_type) -%}
    {{ return('timestamp with time zone' if dlt_type == 'timestamp' else default__raw_type(dlt_type)) }}
{%- endmacro %}
