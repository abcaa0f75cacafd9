-- rpt_nurture for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='rpt_nurture') }}

{{ pseudonymous_select('rpt_nurture') }}
