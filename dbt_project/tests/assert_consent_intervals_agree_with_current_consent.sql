-- The consent periods and the current consent follow one rule, so they agree at the as-of
-- moment: a person has a basis for a purpose and channel now exactly when a period of
-- theirs is still open. (They once disagreed: the periods ignored that a withdrawal on one
-- channel of a purpose stops its other channels.)
with

current_consent as (

    select * from {{ ref('int_consent_current') }}

),

open_periods as (

    select * from {{ ref('int_consent_intervals') }}
    where valid_to is null

)

select
    coalesce(current_consent.person_id, open_periods.person_id) as person_id,
    coalesce(current_consent.purpose, open_periods.purpose) as purpose,
    coalesce(current_consent.channel, open_periods.channel) as channel,
    current_consent.has_consent,
    open_periods.valid_from as open_since

from current_consent
full outer join open_periods
    on
        current_consent.person_id = open_periods.person_id
        and current_consent.purpose = open_periods.purpose
        and current_consent.channel = open_periods.channel
where
    (open_periods.person_id is null and current_consent.has_consent)
    or current_consent.person_id is null
    or (open_periods.person_id is not null and not current_consent.has_consent)
