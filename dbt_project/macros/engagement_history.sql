{#- The scoring history (int_lead_engagement_history) is built in parts, each holding the
    people whose person_id falls in one range (person ids are hex digests, so the ranges
    split people about evenly). Each moment sums every earlier signal of the person, so
    one statement over everyone held the whole moment x signal join in its hash tables
    (90 M rows at 1 M people, more than the memory goal); a part holds a quarter. The
    ranges cover every string, so no person falls between parts whatever their id. -#}
{% macro engagement_history_parts() -%}
    {{ return([[none, '4'], ['4', '8'], ['8', 'c'], ['c', none]]) }}
{%- endmacro %}

{% macro engagement_history_part_filter(column, part) -%}
    {%- set lower, upper = engagement_history_parts()[part] -%}
    {%- if lower is none and upper is none -%}
        true
    {%- elif lower is none -%}
        {{ column }} < '{{ upper }}'
    {%- elif upper is none -%}
        {{ column }} >= '{{ lower }}'
    {%- else -%}
        {{ column }} >= '{{ lower }}' and {{ column }} < '{{ upper }}'
    {%- endif -%}
{%- endmacro %}

{#- One part of the scoring history: engagement points per person at every past evaluation
    moment, for the people of engagement_history_parts()[part]. The model calling it is
    int_lead_engagement_history_<part>.

    Each arrival of a positive signal before the as-of moment is a moment (scores only
    rise when a signal arrives, so these are where a person can cross the MQL or hot
    threshold). The points are summed over the rules after each rule's decay, window and
    cap: one row per person and moment. Only the score timeline reads past moments, and
    it needs their total; the current score (int_lead_engagement_current) keeps the
    points per rule that explain a score. Stored per rule, the history was about eight
    rows per moment (at L 90 M rows instead of 11 M), which every build wrote, tested,
    scanned for its fingerprints and grouped again in the timeline.

    Incremental by person (macros/incremental_by_person.sql). A person's rows depend only
    on their scored signals before the as-of moment and those signals' rules, so each row
    carries a fingerprint of that set; a build recomputes the people whose fingerprint
    changed (new or late signals, a changed rule, a consent change, a merge, a later as-of
    moment that lets more signals in) and keeps everyone else's rows. A recomputed person
    without a positive signal has no past moment, and a stored one without any signal any
    more (consent withdrawn, erased, merged away, an earlier as-of moment) none either:
    the placeholder rows (evaluated_at null) of an incremental build make delete+insert
    remove their stored rows, and the post-hook deletes the placeholders. A part stored per
    rule (built before) is emptied once by a pre-hook (per_moment_history), so that build
    computes everyone per moment. -#}
{% macro engagement_history_part(part) -%}

{{ incremental_by_person_config(
    'signals_fingerprint', 'evaluated_at', ["{{ per_moment_history() }}"]
) }}

with


signals as (

    select * from {{ ref('int_lead_engagement_signals') }}
    where
        occurred_at < {{ as_of_timestamp() }}
        and {{ engagement_history_part_filter('person_id', part) }}

),

{{ changed_people_ctes(
    'signals',
    [
        'signal_type', 'occurred_at', 'points', 'half_life_days', 'window_days',
        'max_points', 'cap_period'
    ],
    'signals_fingerprint',
    'recomputed_signals'
) }}

moments as (

    select distinct
        person_id,
        occurred_at as evaluated_at,
        false as is_as_of

    from recomputed_signals
    where points > 0

),

{{ engagement_points_ctes('moments', 'recomputed_signals') }},

moment_points as (

    {{ moment_totals('engagement_points') }}

),

final as (

    select
        moment_points.*,
        recomputed.signals_fingerprint

    from moment_points
    inner join recomputed
        on moment_points.person_id = recomputed.person_id

    {{ person_placeholders(engagement_history_columns()[1:]) }}

)

select * from final

{%- endmacro %}

{#- Pre-hook of the history's parts: a part stored per rule (a signal_type column; built
    before the history was stored per moment) is replaced by an empty one per moment, with
    the same columns and types less signal_type, so the build recomputes everyone and the
    schema check finds the columns the model now has. Nothing otherwise. -#}
{% macro per_moment_history() -%}
    {%- if is_incremental() -%}
        {%- if 'signal_type' in stored_columns() -%}
            create or replace table {{ this }} as
            select {{ engagement_history_columns() | join(', ') }}
            from {{ this }}
            where 1 = 0
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The columns of the history's parts, in order. -#}
{% macro engagement_history_columns() -%}
    {{ return([
        'person_id', 'evaluated_at', 'is_as_of', 'points', 'signal_count', 'last_signal_at',
        'signals_fingerprint'
    ]) }}
{%- endmacro %}

{#- Engagement points per rule summed into one row per person and moment (the rules' caps
    and windows are applied per rule before): the history's parts store these, and
    int_lead_engagement_points sums the current score the same way. -#}
{% macro moment_totals(relation) -%}
    select
        person_id,
        evaluated_at,
        is_as_of,
        cast(sum(points) as decimal(18, 6)) as points,
        cast(sum(signal_count) as bigint) as signal_count,
        max(last_signal_at) as last_signal_at

    from {{ relation }}
    group by person_id, evaluated_at, is_as_of
{%- endmacro %}
