{#- Models incremental by person: a person's rows depend only on that person's input rows,
    so each stored row carries a fingerprint (set_fingerprint) of those inputs, and a build
    recomputes only the people whose fingerprint changed. The model is materialised
    'incremental' with unique_key person_id and delete+insert.

    changed_people_ctes renders, for the CTE `inputs` (the input rows, with person_id):
      fingerprints  person_id and the fingerprint, for every person in `inputs`;
      recomputed    the people to compute: all of them in a full build; in an incremental
                    build those whose fingerprint differs from the stored one, or new;
      emptied       (incremental builds only) stored people with no input rows any more
                    (erased, merged away, an earlier as-of moment);
      <recomputed_inputs>  the input rows of the recomputed people, which the model
                    computes from.
    Each CTE ends with a comma; the caller's next CTE follows.

    Under delete+insert only the people in a build's output lose their stored rows. So an
    incremental build also emits one placeholder row for each recomputed or emptied person
    (person_placeholders): a recomputed person may now have no rows at all (a grant whose
    basis became invalid opens no consent period), and an emptied one has none. The
    model's post-hook deletes the placeholders (incremental_by_person_config). A full
    build emits none.

    A model that became incremental this way, in a warehouse built before, gains the
    fingerprint column on its next build (add_fingerprint_column, a pre-hook); its stored
    rows have none, so that build recomputes everyone. -#}
{#- The model's configuration; `placeholder_column` is a column its real rows never leave
    null, by which the post-hook finds the placeholder rows; `pre_hooks`, the model's own,
    run after the one adding the fingerprint column. -#}
{% macro incremental_by_person_config(fingerprint, placeholder_column, pre_hooks=[]) -%}
    {{ config(
        materialized='incremental',
        unique_key='person_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=["{{ add_fingerprint_column('" ~ fingerprint ~ "') }}"] + pre_hooks,
        post_hook="delete from {{ this }} where " ~ placeholder_column ~ " is null"
    ) }}
{%- endmacro %}

{% macro changed_people_ctes(inputs, columns, fingerprint, recomputed_inputs) -%}

fingerprints as (

    select
        person_id,
        {{ set_fingerprint(columns) }} as {{ fingerprint }}

    from {{ inputs }}
    group by person_id

),

{% if is_incremental() %}

    stored as (

        select distinct
            person_id,
            {{ fingerprint }}

        from {{ this }}

    ),

    recomputed as (

        select fingerprints.*
        from fingerprints
        left join stored
            on
                fingerprints.person_id = stored.person_id
                and fingerprints.{{ fingerprint }} = stored.{{ fingerprint }}
        where stored.person_id is null

    ),

    emptied as (

        select stored_people.person_id
        from (select distinct person_id from stored) as stored_people
        left join fingerprints
            on stored_people.person_id = fingerprints.person_id
        where fingerprints.person_id is null

    ),

{% else %}

    recomputed as (

        select * from fingerprints

    ),

{% endif %}

{{ recomputed_inputs }} as (

    select {{ inputs }}.*
    from {{ inputs }}
    {% if is_incremental() %}
        inner join recomputed
            on {{ inputs }}.person_id = recomputed.person_id
    {% endif %}

),

{%- endmacro %}

{#- `union all` of the placeholder rows (see changed_people_ctes): the person id and null
    for every other column, in the model's column order; nothing in a full build. The
    model's post-hook deletes them by a column its real rows never leave null. -#}
{% macro person_placeholders(columns) -%}
    {%- if is_incremental() %}

    union all

    select
        person_id,
        {%- for column in columns %}
        null as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from (
        select person_id from recomputed
        union all
        select person_id from emptied
    ) as replaced

    {%- endif %}
{%- endmacro %}

{#- Pre-hook: add the fingerprint column to a stored table that lacks it (built before the
    model was incremental by person), so the model's SQL can read it; null matches no
    fingerprint. Nothing in a full build or when the column is there. -#}
{% macro add_fingerprint_column(column) -%}
    {%- if is_incremental() -%}
        {%- if column | lower not in stored_columns() -%}
            {{ adapter.dispatch('add_fingerprint_column', 'leadhouse')(column) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro default__add_fingerprint_column(column) -%}
    alter table {{ this }} add column {{ column }} {{ dbt.type_string() }}
{%- endmacro %}

{% macro spark__add_fingerprint_column(column) -%}
    alter table {{ this }} add columns ({{ column }} string)
{%- endmacro %}

{#- Pre-hook of an incremental model that gained `column` (of `type`), its last column: a
    stored table without it (built before) is emptied and given the column, so that build
    computes every row as a full build would. The model's own incremental logic must take
    an empty table for nothing built yet. Nothing in a full build or when the column is
    there. -#}
{% macro rebuild_without_column(column, type) -%}
    {%- if is_incremental() -%}
        {%- if column | lower not in stored_columns() -%}
            create or replace table {{ this }} as
            select
                *,
                cast(null as {{ type }}) as {{ column }}
            from {{ this }}
            where 1 = 0
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The lower-case names of the stored table's columns (of the model being built). -#}
{% macro stored_columns() -%}
    {{ return(adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list) }}
{%- endmacro %}
