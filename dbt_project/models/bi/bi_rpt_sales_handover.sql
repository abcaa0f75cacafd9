-- rpt_sales_handover for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='rpt_sales_handover') }}

{{ pseudonymous_select('rpt_sales_handover') }}
