-- fct_lead_stage_transition for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='fct_lead_stage_transition') }}

{{ pseudonymous_select('fct_lead_stage_transition') }}
