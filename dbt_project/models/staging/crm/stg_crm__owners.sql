with

source as (

    select * from {{ optional_source('crm', 'owners') }}

),

renamed as (

    select
        id as owner_id,
        {{ normalize_email('email') }} as email,
        first_name,
        last_name,
        coalesce(archived, false) as is_archived

    from source

)

select * from renamed
