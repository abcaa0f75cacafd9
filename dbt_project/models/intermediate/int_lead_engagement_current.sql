-- Engagement points per person and rule at the as-of moment: the current score. Every
-- scored person is evaluated, over all their scored signals up to the moment; this part
-- is rebuilt on every build, since decay moves it even when nothing new arrived.
with

people as (

    select person_id from {{ ref('int_people_profiled') }}
    where has_profiling_consent

),

signals as (

    select * from {{ ref('int_lead_engagement_signals') }}

),

moments as (

    select
        person_id,
        {{ as_of_timestamp() }} as evaluated_at,
        true as is_as_of

    from people

),

{{ engagement_points_ctes('moments', 'signals') }}

select * from engagement_points
