-- rpt_email_audience for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='rpt_email_audience') }}

{{ pseudonymous_select('rpt_email_audience') }}
