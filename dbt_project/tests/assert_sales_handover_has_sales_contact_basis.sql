-- Nobody reaches the sales queue without a current, valid basis for sales contact (on at
-- least one channel), checked against the consent ledger itself rather than the flag the
-- mart carries.
with

handover as (

    select person_id from {{ ref('rpt_sales_handover') }}

),

consent as (

    select
        person_id,
        max(case when has_consent then 1 else 0 end) = 1 as has_consent

    from {{ ref('int_consent_current') }}
    where purpose = 'sales_contact'
    group by person_id

)

select handover.person_id

from handover
left join consent
    on handover.person_id = consent.person_id
where not coalesce(consent.has_consent, false)
