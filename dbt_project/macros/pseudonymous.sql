{#- Select every documented column of a mart except those tagged
    meta: {contains_pii: true}, for the BI schema. With var('bi_include_pii') true the
    personal columns are kept (for deployments whose BI users may see them). -#}
{% macro pseudonymous_select(model_name) -%}
    {%- set keep = [] -%}
    {%- if execute -%}
        {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
        {%- for name, column in node.columns.items() -%}
            {%- set meta = column.meta or {} -%}
            {%- if var('bi_include_pii', false) or not meta.get('contains_pii', false) -%}
                {%- do keep.append(adapter.quote(name)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select {{ keep | join(', ') if keep else '*' }}
    from {{ ref(model_name) }}
{%- endmacro %}
