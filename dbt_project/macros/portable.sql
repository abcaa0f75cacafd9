{#- Small cross-database helpers, dispatched so the same models run on Spark. -#}

{#- The text at a path of keys ('a.b') in a column of JSON text, or null. The document is
    parsed only when each key of the path appears in its text, or the text holds a
    backslash (a key may be written with escapes, '\u0063onsent', which the parser
    decodes): parsing is most of the cost, and most documents lack most keys (at L, the
    filter on the web events' consent answers took 7.2 s instead of 2.9 s). -#}
{% macro json_text(column, key) -%}
    case
        when
            (
                {%- for part in key.split('.') %}
                instr({{ column }}, '{{ part }}') > 0{{ ' and' if not loop.last }}
                {%- endfor %}
            )
            or instr({{ column }}, chr(92)) > 0
            then {{ adapter.dispatch('json_text', 'leadhouse')(column, key) }}
    end
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}

{#- One row per element of a delimited text column, as a lateral relation. -#}
{% macro split_to_rows(column, delimiter, alias) -%}
    {{ return(adapter.dispatch('split_to_rows', 'leadhouse')(column, delimiter, alias)) }}
{%- endmacro %}

{% macro default__split_to_rows(column, delimiter, alias) -%}
    cross join unnest(string_split({{ column }}, '{{ delimiter }}')) as split_values ({{ alias }})
{%- endmacro %}

{% macro spark__split_to_rows(column, delimiter, alias) -%}
    lateral view explode(split({{ column }}, '{{ delimiter }}')) split_values as {{ alias }}
{%- endmacro %}

{#- A well-formed e-mail address, lower case: the quality gate's rule for the addresses the
    warehouse publishes (EMAIL_REGEX in expectations/suites.py; a test keeps both equal). -#}
{% macro email_pattern() -%}
    ^[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}$
{%- endmacro %}

{#- E-mail addresses compared the way mail servers and people treat them (trimmed, lower
    case), or null for text that is no address ('jan kowalski@firma.pl', 'jan@firma'): it
    reaches nobody, identifies nobody and must not be published (stg_values_not_typed
    reports it). -#}
{% macro normalize_email(column) -%}
    {%- set normalized = "lower(trim(" ~ column ~ "))" -%}
    case when {{ regex_matches(normalized, email_pattern()) }} then {{ normalized }} end
{%- endmacro %}

{#- Whether text matches a regular expression (POSIX-style, as both engines read it). -#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'leadhouse')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(value, pattern) -%}
    regexp_matches({{ value }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_matches(value, pattern) -%}
    ({{ value }} rlike '{{ pattern }}')
{%- endmacro %}

{#- The moment scores are computed for, in UTC: var('as_of'), else the environment variable
    LEADHOUSE_AS_OF, else the moment this dbt invocation started (run_started_at, UTC),
    one moment for all of its models: each model's own build time would give the current
    score, the timeline and the stages different moments. The leadhouse CLI sets the
    environment variable: a changed var makes dbt parse the whole project again (8 s), and
    an environment variable read while parsing makes it parse again every model that reads
    it. Read only when executing, it costs no parsing, and every node is compiled afresh
    when it runs. -#}
{% macro as_of_timestamp() -%}
    {%- set as_of = given_as_of() -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as timestamp)
    {%- else -%}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- The as-of moment given to this dbt invocation (the var or LEADHOUSE_AS_OF), as text;
    empty when none was. -#}
{% macro given_as_of() -%}
    {{ return(var('as_of', '') or (env_var('LEADHOUSE_AS_OF', '') if execute else '')) }}
{%- endmacro %}

{#- Days between two timestamps, with fractions, for decay. -#}
{% macro days_between(start, finish) -%}
    ({{ dbt.datediff(start, finish, 'second') }} / 86400.0)
{%- endmacro %}

{#- A value from text as `type`, or null when the text is not one (no error): for text
    a source does not type itself (CRM properties, form fields), where one bad value
    must not stop the build. -#}
{% macro lenient_cast(expression, type) -%}
    {{ return(adapter.dispatch('lenient_cast', 'leadhouse')(expression, type)) }}
{%- endmacro %}

{#- DuckDB's try_cast; Spark SQL has it too (3.2 and later). -#}
{% macro default__lenient_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{#- The end of a validity interval, where an open interval (no end) lasts for ever.
    Comparing with this instead of `valid_to is null or ...` keeps a range join a hash
    join on its keys: an `or` in a join condition makes engines compare every pair. -#}
{% macro interval_end(column) -%}
    coalesce({{ column }}, cast('9999-12-31 00:00:00' as timestamp))
{%- endmacro %}

{#- The moment of a dlt load, from its id (Unix seconds as text, e.g. '1796278658.34'), as a
    timestamp in UTC, to the second. -#}
{% macro load_id_timestamp(column) -%}
    {{ dbt.dateadd(
        'second',
        'cast(floor(cast(' ~ column ~ ' as double)) as bigint)',
        "cast('1970-01-01 00:00:00' as timestamp)"
    ) }}
{%- endmacro %}
