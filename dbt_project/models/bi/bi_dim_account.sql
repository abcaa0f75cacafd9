-- dim_account for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='dim_account') }}

{{ pseudonymous_select('dim_account') }}
