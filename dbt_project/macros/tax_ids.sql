{#- Check digits of Polish tax ids in SQL (the same rules as leadhouse/taxids.py), so the
    warehouse can prove every id it publishes is well formed. Null for a null id. -#}

{% macro weighted_digit_sum(column, weights) -%}
    (
    {%- for weight in weights %}
        {{ weight }} * {{ lenient_cast("substring(" ~ column ~ ", " ~ loop.index ~ ", 1)", 'integer') }}
        {%- if not loop.last %} +{% endif %}
    {%- endfor %}
    )
{%- endmacro %}

{#- NIP: 10 digits; weights 6 5 7 2 3 4 5 6 7; sum mod 11 is the last digit (10 invalid). -#}
{% macro nip_is_valid(column) -%}
    case
        when {{ column }} is null then null
        when length({{ column }}) <> 10 then false
        else coalesce(
            mod({{ weighted_digit_sum(column, [6, 5, 7, 2, 3, 4, 5, 6, 7]) }}, 11)
            = {{ lenient_cast("substring(" ~ column ~ ", 10, 1)", 'integer') }},
            false
        )
    end
{%- endmacro %}

{#- REGON: 9 digits (weights 8 9 2 3 4 5 6 7) or 14 digits (2 4 8 5 0 9 7 3 6 1 2 4 8);
    sum mod 11, where 10 counts as 0, is the last digit. -#}
{% macro regon_is_valid(column) -%}
    case
        when {{ column }} is null then null
        when length({{ column }}) = 9 then coalesce(
            mod(mod({{ weighted_digit_sum(column, [8, 9, 2, 3, 4, 5, 6, 7]) }}, 11), 10)
            = {{ lenient_cast("substring(" ~ column ~ ", 9, 1)", 'integer') }},
            false
        )
        when length({{ column }}) = 14 then coalesce(
            mod(
                mod({{ weighted_digit_sum(column, [2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8]) }}, 11),
                10
            )
            = {{ lenient_cast("substring(" ~ column ~ ", 14, 1)", 'integer') }},
            false
        )
        else false
    end
{%- endmacro %}

{#- A NIP the way people write it ('PL 700-133-89-05', 'pl7001338905', '700.133.89.05') as
    its ten characters: upper case, no spaces, dashes or dots, no 'PL' (EU VAT) prefix.
    Null for a null or blank text. -#}
{% macro normalize_nip(column) -%}
    {%- set compact = "replace(replace(replace(upper(trim(" ~ column ~ ")), '-', ''), ' ', ''), '.', '')" -%}
    nullif(
        case when {{ compact }} like 'PL%' then substring({{ compact }}, 3) else {{ compact }} end,
        ''
    )
{%- endmacro %}
