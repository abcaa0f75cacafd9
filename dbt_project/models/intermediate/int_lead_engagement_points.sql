{{ config(materialized='view') }}
-- Engagement points per person, rule and evaluation moment, after decay, windows and
-- caps: the as-of moment (the current score) and every moment a positive signal arrived
-- before it. Only people with a profiling basis are scored and only signals up to the
-- moment count. The two parts are built separately: past moments incrementally by person
-- (int_lead_engagement_history), the as-of moment on every build.
select
    person_id,
    evaluated_at,
    is_as_of,
    signal_type,
    points,
    signal_count,
    last_signal_at

from {{ ref('int_lead_engagement_history') }}

union all

select
    person_id,
    evaluated_at,
    is_as_of,
    signal_type,
    points,
    signal_count,
    last_signal_at

from {{ ref('int_lead_engagement_current') }}
