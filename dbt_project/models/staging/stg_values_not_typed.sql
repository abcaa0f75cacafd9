{#- Every value staging could not read: text that is not its column's type (lenient_cast:
    a date typed by hand as 'yesterday', a word in an amount), an e-mail field that holds
    no address, a CRM NIP that fails its check digit, a subscription status time that is
    none. Staging carries each on as null (a record's time as a fallback), so that one
    value neither stops the build nor blocks the publish, and this view reports it with
    its record, text and reason. `typed` has one entry per lenient_cast on source text in
    staging; tests/test_typing.py checks that the two lists agree. -#}
{%- set typed = [
    {'source': ('crm', 'contacts'), 'key': 'id', 'value': 'properties__interest_level', 'type': 'integer'},
    {'source': ('crm', 'contacts'), 'key': 'id', 'value': 'properties__createdate', 'type': 'timestamp'},
    {'source': ('crm', 'contacts'), 'key': 'id', 'value': 'properties__lastmodifieddate', 'type': 'timestamp'},
    {'source': ('crm', 'companies'), 'key': 'id', 'value': 'properties__createdate', 'type': 'timestamp'},
    {'source': ('crm', 'deals'), 'key': 'id', 'value': 'properties__amount', 'type': 'decimal(18, 2)'},
    {'source': ('crm', 'deals'), 'key': 'id', 'value': 'properties__createdate', 'type': 'timestamp'},
    {'source': ('crm', 'deals'), 'key': 'id', 'value': 'properties__closedate', 'type': 'timestamp'},
    {'source': ('crm', 'pipelines__stages'), 'key': 'id', 'value': 'metadata__probability', 'type': 'double'},
    {'source': ('crm', 'meetings'), 'key': 'id', 'value': 'properties__hs_timestamp', 'type': 'timestamp'},
    {'source': ('crm', 'calls'), 'key': 'id', 'value': 'properties__hs_timestamp', 'type': 'timestamp'},
    {'source': ('crm', 'notes'), 'key': 'id', 'value': 'properties__hs_timestamp', 'type': 'timestamp'},
    {'source': ('crm', 'emails'), 'key': 'id', 'value': 'properties__hs_timestamp', 'type': 'timestamp'},
    {'source': ('web_analytics', 'events'), 'key': 'message_id', 'value': json_text('properties', 'interest_level'),
     'label': 'properties.interest_level', 'type': 'integer'},
    {'source': ('company_registry', 'firmographics'), 'key': 'nip',
     'value': dbt.split_part('pkd_main', "'.'", 1), 'raw': 'pkd_main', 'label': 'pkd_main',
     'type': 'integer', 'reason': 'pkd_main does not start with a division number (NN.NN.X)'},
] -%}

{#- E-mail addresses the way normalize_email reads them: text that is no address becomes
    null in staging (each entry gets its type, reason and test below). -#}
{%- set addresses = [
    {'source': ('crm', 'contacts'), 'key': 'id', 'value': 'properties__email'},
    {'source': ('crm', 'communication_preferences'), 'key': '_dlt_id', 'value': 'recipient'},
    {'source': ('web_analytics', 'events'), 'key': 'message_id', 'value': json_text('traits', 'email'),
     'label': 'traits.email'},
    {'source': ('email', 'events'), 'key': 'sg_event_id', 'value': 'email'},
] -%}
{%- for entry in addresses -%}
    {%- do entry.update({
        'type': 'e-mail address',
        'reason': entry.get('label', entry.value) ~ ' is not an e-mail address',
        'usable': normalize_email(entry.value) ~ ' is not null',
    }) -%}
{%- endfor -%}

{#- Subscription statuses whose time was no instant: the ingest loads them without it and
    keeps the text as sent (ingestion/crm/helpers.py). -#}
{%- set untimed_statuses -%}
    (select
        statuses._dlt_id,
        recipients._dlt_load_id,
        statuses.timestamp_as_sent
    from {{ optional_source('crm', 'communication_preferences__subscription_statuses') }} as statuses
    inner join {{ optional_source('crm', 'communication_preferences') }} as recipients
        on statuses._dlt_parent_id = recipients._dlt_id) as statuses
{%- endset -%}

{#- CRM companies' NIPs as stg_crm__companies reads them: one that fails its check digit
    becomes null there. -#}
{%- set crm_nips -%}
    (select id, _dlt_load_id, properties__nip, {{ normalize_nip('properties__nip') }} as nip_normalized
    from {{ optional_source('crm', 'companies') }}) as companies
{%- endset -%}

{#- Present only where the VAT White List has been asked (`--vat-whitelist`). -#}
{%- set whitelist_answers = optional_source('company_registry', 'vat_whitelist_subjects') ~ ' as answers' -%}

{% for entry in typed + addresses %}
    {%- set relation = source(*entry.source) %}
    {{ values_not_typed(
        optional_source(*entry.source) ~ ' as raw_rows',
        relation.schema ~ '.' ~ relation.identifier,
        entry.key,
        entry.value,
        entry.type,
        entry.get('label', entry.value),
        raw=entry.get('raw'),
        reason=entry.get('reason'),
        usable=entry.get('usable')
    ) | indent(4) }}
    union all
{% endfor %}
{{ values_not_typed(
    crm_nips,
    source('crm', 'companies').schema ~ '.companies',
    'id',
    'nip_normalized',
    'nip',
    'properties__nip',
    raw='properties__nip',
    reason='properties__nip is not a NIP (10 digits, the last a check digit)',
    usable=nip_is_valid('nip_normalized')
) }}
union all
{{ values_not_typed(
    untimed_statuses,
    source('crm', 'communication_preferences__subscription_statuses').schema
        ~ '.communication_preferences__subscription_statuses',
    '_dlt_id',
    'timestamp_as_sent',
    'timestamp',
    'subscriptionStatuses.timestamp',
    reason='subscriptionStatuses.timestamp is not of type timestamp (loaded without it)',
    usable='false'
) }}
union all
{{ values_not_typed(
    whitelist_answers,
    source('company_registry', 'vat_whitelist_subjects').schema ~ '.vat_whitelist_subjects',
    'proof_id',
    'requested_at',
    'timestamp',
    'requested_at'
) }}
