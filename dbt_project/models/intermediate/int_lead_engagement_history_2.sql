-- Scoring history of the people in part 2 of engagement_history_parts() (see
-- macros/engagement_history.sql); int_lead_engagement_history unions the parts.
{{ engagement_history_part(2) }}
