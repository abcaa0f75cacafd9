-- rpt_lead_score_backtest for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='rpt_lead_score_backtest') }}

{{ pseudonymous_select('rpt_lead_score_backtest') }}
