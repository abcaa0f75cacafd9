with

source as (

    select * from {{ optional_source('company_registry', 'regon_reports') }} as reports

),

renamed as (

    select
        regon,
        nip,
        name as legal_name,
        activity_started_on,
        activity_ended_on,
        activity_ended_on is not null as has_ceased_activity,
        specific_legal_form as legal_form,
        city

    from source

)

select * from renamed
