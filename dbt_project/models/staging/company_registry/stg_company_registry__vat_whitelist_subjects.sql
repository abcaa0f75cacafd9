with

source as (

    select * from {{ optional_source('company_registry', 'vat_whitelist_subjects') }} as answers

),

renamed as (

    select
        proof_id,
        request_id as whitelist_request_id,
        {{ lenient_cast('requested_at', 'timestamp') }} as whitelist_requested_at,
        nip,
        regon,
        krs,
        name as legal_name,
        vat_status,
        registration_legal_date as vat_registered_on,
        removal_date as vat_removed_on

    from source

)

select * from renamed
