-- Which lead definition (market segment) each account falls in: the segment whose every
-- filter condition the account meets, first by priority, else the default definition.
with

accounts as (

    select account_id from {{ ref('int_accounts_enriched') }}

),

account_attributes as (

    select * from {{ ref('int_account_attributes') }}

),

filters as (

    select * from {{ ref('lead_segment_filters') }}

),

definitions as (

    select * from {{ ref('lead_thresholds') }}

),

conditions_per_segment as (

    select
        definition_name,
        count(*) as condition_count

    from filters
    group by definition_name

),

met_conditions as (

    select
        account_attributes.account_id,
        filters.definition_name,
        filters.segment_priority,
        count(distinct filters.condition_id) as met_count

    from account_attributes
    inner join filters
        on account_attributes.attribute = filters.attribute
    where {{ criterion_matches('account_attributes', 'filters') }}
    group by account_attributes.account_id, filters.definition_name, filters.segment_priority

),

account_segments as (

    select
        met_conditions.account_id,
        met_conditions.definition_name,
        row_number() over (
            partition by met_conditions.account_id order by met_conditions.segment_priority
        ) as segment_rank

    from met_conditions
    inner join conditions_per_segment
        on met_conditions.definition_name = conditions_per_segment.definition_name
    where met_conditions.met_count = conditions_per_segment.condition_count

),

default_definition as (

    select definition_name from definitions
    where segment_priority is null

),

final as (

    select
        accounts.account_id,
        coalesce(account_segments.definition_name, default_definition.definition_name)
            as definition_name

    from accounts
    cross join default_definition
    left join account_segments
        on
            accounts.account_id = account_segments.account_id
            and account_segments.segment_rank = 1

)

select * from final
