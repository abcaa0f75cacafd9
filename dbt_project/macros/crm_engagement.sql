{#- Staging for one HubSpot engagement object (meetings, calls, notes): one row per
    engagement and associated contact. The parent join only undoes dlt's unnesting. -#}
{% macro crm_engagement(object_name, detail_column) %}
with

engagements as (

    select * from {{ optional_source('crm', object_name) }}

),

contacts as (

    select * from {{ optional_source('crm', object_name ~ '__associations__contacts__results') }}

),

final as (

    select
        engagements.id as engagement_id,
        '{{ object_name }}' as engagement_type,
        contacts.id as contact_id,
        {% if object_name in ('notes', 'emails') -%}
        cast(null as {{ dbt.type_string() }}) as activity_type,
        {%- else -%}
        engagements.properties__hs_activity_type as activity_type,
        {%- endif %}
        engagements.{{ detail_column }} as detail,
        {{ crm_record_time(
            lenient_cast('engagements.properties__hs_timestamp', 'timestamp'), object_name, 'engagements'
        ) }} as occurred_at

    from engagements
    inner join contacts
        on contacts._dlt_parent_id = engagements._dlt_id
    where not coalesce(engagements.archived, false)

)

select * from final
{% endmacro %}

{#- When a CRM record's event happened: `value` (a property typed from text), else when the
    record was created in the CRM (`createdAt`, which CSV exports lack), else when the
    warehouse first loaded it (`record_sightings`, ingestion/crm/sightings.py; the record's
    own load id is its latest load, which would move with every export), else its load.
    Never null, so one date typed by hand ('last week', reported in stg_values_not_typed)
    or left out neither stops the build nor drops the record. -#}
{% macro crm_record_time(value, object_name, qualifier=none) -%}
    {%- set prefix = qualifier ~ '.' if qualifier else '' -%}
    {%- set first_seen -%}
        (select max(seen.first_seen_load_id)
        from {{ optional_source('crm', 'record_sightings') }} as seen
        where seen.object_type = '{{ object_name }}' and seen.record_id = {{ prefix }}id)
    {%- endset -%}
    coalesce(
        {{ value }},
        cast({{ prefix }}created_at as timestamp),
        {{ load_id_timestamp('coalesce(' ~ first_seen ~ ', ' ~ prefix ~ '_dlt_load_id)') }}
    )
{%- endmacro %}
