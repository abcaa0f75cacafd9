-- rpt_consent_coverage for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='rpt_consent_coverage') }}

{{ pseudonymous_select('rpt_consent_coverage') }}
