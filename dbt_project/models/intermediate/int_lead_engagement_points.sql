{{ config(materialized='view') }}
-- Engagement points per person and evaluation moment, summed over the rules after each
-- rule's decay, window and cap: the as-of moment (the current score) and every moment a
-- positive signal arrived before it. Only people with a profiling basis are scored and
-- only signals up to the moment count. The two parts are built separately: past moments
-- incrementally by person (int_lead_engagement_history, stored per moment), the as-of
-- moment on every build (int_lead_engagement_current, stored per rule, which explains the
-- score: int_lead_score_contributions reads it).
select
    person_id,
    evaluated_at,
    is_as_of,
    points,
    signal_count,
    last_signal_at

from {{ ref('int_lead_engagement_history') }}

union all

{{ moment_totals(ref('int_lead_engagement_current')) }}
