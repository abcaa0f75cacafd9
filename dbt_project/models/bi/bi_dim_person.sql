-- dim_person for BI tools, without direct identifiers (see macros/pseudonymous.sql).
{{ config(meta={'holds_personal_data': var('bi_include_pii', false)}, alias='dim_person') }}

{{ pseudonymous_select('dim_person') }}
