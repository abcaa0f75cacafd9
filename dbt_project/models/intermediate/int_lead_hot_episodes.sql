-- Periods in which a person was hot: one row per time the score reached the hot band,
-- dated at the signal that pushed it there, until the first later moment it was lower.
with

timeline as (

    select * from {{ ref('int_lead_score_timeline') }}

),

flagged as (

    select
        person_id,
        evaluated_at,
        total_score,
        temperature = 'hot' as is_hot,
        lag(temperature) over (partition by person_id order by evaluated_at) as previous_temperature

    from timeline

),

changes as (

    select
        person_id,
        evaluated_at,
        total_score,
        is_hot

    from flagged
    where is_hot <> (coalesce(previous_temperature, 'cold') = 'hot')

),

episodes as (

    select
        person_id,
        is_hot,
        evaluated_at as became_hot_at,
        total_score as score_when_hot,
        lead(evaluated_at) over (partition by person_id order by evaluated_at) as cooled_at

    from changes

),

final as (

    select
        person_id,
        became_hot_at,
        score_when_hot,
        cooled_at

    from episodes
    where is_hot

)

select * from final
