-- Engagement points per person and rule at the as-of moment: the current score. Every
-- person with a scored signal is evaluated, over all their scored signals up to the
-- moment (a scored person without any has no rows; the timeline gives them their fit).
-- Rebuilt on every build, since decay moves it even when nothing new arrived.
with

signals as (

    select * from {{ ref('int_lead_engagement_signals') }}

),

moments as (

    select distinct
        person_id,
        {{ as_of_timestamp() }} as evaluated_at,
        true as is_as_of

    from signals

),

{{ engagement_points_ctes('moments', 'signals') }}

select * from engagement_points
