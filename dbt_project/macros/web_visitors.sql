{#- The visitor a web event belongs to, which its sessions are counted within: the person
    it resolves to; else its Segment anonymousId; else, for a call with only a userId that
    names no known contact, that userId. Staging turns empty identifiers into nulls, so
    calls without one never share a visitor. -#}
{% macro web_visitor_key(person_id, anonymous_id, user_id) -%}
    coalesce({{ person_id }}, 'anonymous:' || {{ anonymous_id }}, 'user:' || {{ user_id }})
{%- endmacro %}
