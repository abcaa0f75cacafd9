-- Child rows of a pipeline; the parent join only undoes dlt's unnesting.
with

stages as (

    select * from {{ optional_source('crm', 'pipelines__stages') }}

),

pipelines as (

    select * from {{ optional_source('crm', 'pipelines') }}

),

final as (

    select
        pipelines.id as pipeline_id,
        pipelines.label as pipeline_label,
        stages.id as deal_stage,
        stages.label as deal_stage_label,
        stages.display_order,
        {{ lenient_cast('stages.metadata__probability', 'double') }} as win_probability,
        stages.metadata__is_closed = 'true' as is_closed

    from stages
    inner join pipelines
        on stages._dlt_parent_id = pipelines._dlt_id

)

select * from final
