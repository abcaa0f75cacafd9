"""Settings for the HubSpot CRM source (file exports of CRM v3 objects)."""

from __future__ import annotations

SOURCE_NAME = "crm"
DATASET_NAME = "raw_crm"

# Object type -> primary key. Files are named after the object: contacts.jsonl,
# contacts-2026-11.jsonl, or a HubSpot list response saved as contacts.json.
OBJECTS: dict[str, str] = {
    "contacts": "id",
    "companies": "id",
    "deals": "id",
    "meetings": "id",
    "calls": "id",
    "notes": "id",
    "emails": "id",
    "owners": "id",
    "communication_preferences": "recipient",
    "pipelines": "id",
}

# Of two versions of one record in one delivery, the one with the latest value here is
# kept (dlt's dedup_sort); every CRM v3 object, owner and pipeline carries `updatedAt`.
# Subscription statuses have no such field and are keyed by recipient.
NEWEST_FIRST_BY: dict[str, str] = {
    name: "updated_at" for name in OBJECTS if name != "communication_preferences"
}

# Properties the warehouse reads. Declared up front because dlt creates no column for a
# property that is empty in every record of a load, and staging must not depend on luck.
PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": (
        "email",
        "firstname",
        "lastname",
        "jobtitle",
        "company",
        "lifecyclestage",
        "hs_lead_status",
        "hubspot_owner_id",
        "interest_level",
        "bant_budget",
        "bant_authority",
        "bant_need",
        "bant_timing",
        "hs_merged_object_ids",
        "createdate",
        "lastmodifieddate",
    ),
    "companies": ("name", "domain", "nip", "city", "createdate", "hs_lastmodifieddate"),
    "deals": (
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        "createdate",
        "closedate",
        "hs_is_closed_won",
        "closed_lost_reason",
        "hubspot_owner_id",
        "hs_lastmodifieddate",
    ),
    "meetings": ("hs_timestamp", "hs_activity_type", "hs_meeting_title", "hs_meeting_outcome"),
    "calls": ("hs_timestamp", "hs_activity_type", "hs_call_title", "hs_call_disposition"),
    "notes": ("hs_timestamp", "hs_note_body"),
    # Logged sales e-mails: metadata only. Bodies (hs_email_text, hs_email_html) are never
    # requested, so they never reach the warehouse.
    "emails": ("hs_timestamp", "hs_email_direction", "hs_email_status", "hs_email_subject"),
}

API_BASE_URL = "https://api.hubapi.com"
PAGE_SIZE = 100  # HubSpot's maximum for CRM v3 list endpoints
# Associations requested with each object type (they come back under `associations`).
ASSOCIATIONS: dict[str, tuple[str, ...]] = {
    "contacts": ("companies",),
    "deals": ("contacts", "companies"),
    "meetings": ("contacts",),
    "calls": ("contacts",),
    "notes": ("contacts",),
    "emails": ("contacts",),
}
# Objects loaded through the CRM v3 objects API; owners and consent have their own APIs.
API_OBJECTS = ("contacts", "companies", "deals", "meetings", "calls", "notes", "emails")
