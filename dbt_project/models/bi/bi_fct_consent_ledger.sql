-- fct_consent_ledger for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='fct_consent_ledger') }}

{{ pseudonymous_select('fct_consent_ledger') }}
