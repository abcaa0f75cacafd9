-- rpt_funnel for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='rpt_funnel') }}

{{ pseudonymous_select('rpt_funnel') }}
