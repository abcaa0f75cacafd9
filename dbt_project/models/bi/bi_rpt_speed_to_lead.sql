-- rpt_speed_to_lead for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='rpt_speed_to_lead') }}

{{ pseudonymous_select('rpt_speed_to_lead') }}
