-- Nobody reaches the sales queue without a current, valid basis for sales contact,
-- checked against the consent ledger itself rather than the flag the mart carries.
with

handover as (

    select person_id from {{ ref('rpt_sales_handover') }}

),

consent as (

    select * from {{ ref('int_consent_current') }}
    where purpose = 'sales_contact'

)

select handover.person_id

from handover
left join consent
    on handover.person_id = consent.person_id
where not coalesce(consent.has_consent, false)
