"""When the warehouse first saw a CRM record, and a subscription status that carries no
time of its own.

HubSpot's communication preferences say which status a recipient has per subscription,
usually with the time of the change (``timestamp``). A withdrawal without one still counts
(``int_consent_events``), dated by when the warehouse learned of it. The CRM's records are
merged on the recipient, so every delivery of the record replaces its rows and their
``_dlt_load_id``: dated by the latest load, an old withdrawal would move forward with every
export, and the person would seem to have consented until the last one.

``record_status_sightings`` runs after each CRM load and keeps, per recipient, subscription
and status without a time, the id of the first load that delivered it
(``subscription_status_sightings``): unchanged while later loads repeat the status,
replaced when the status changes or gains a time and then loses it again. Staging dates
such a status by that load. Erasure deletes a person's sightings with their records
(``leadhouse.erasure``).

The same holds for a record's time. A contact's, company's or deal's ``createdate`` or an
activity's ``hs_timestamp`` that is no date falls back to ``createdAt``, which CSV exports
lack, and then to when the warehouse loaded the record: by the latest load, an activity
re-exported every day would never age, and its engagement points never decay.
``record_sightings`` keeps the first load of every record, in the table of that name, and
staging takes it instead (the ``crm_record_time`` macro).

A run stopped between its CRM load and this step (killed, or the step failed) leaves the
load's new statuses and records without a sighting; the next run records them with its
own load, the latest that delivered them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SIGHTINGS_TABLE = "subscription_status_sightings"
RECORD_SIGHTINGS_TABLE = "record_sightings"
# CRM objects whose time staging may take from their first load (crm_record_time).
DATED_OBJECTS = ("contacts", "companies", "deals", "meetings", "calls", "notes", "emails")
RECIPIENTS = "communication_preferences"
STATUSES = "communication_preferences__subscription_statuses"


def record_status_sightings(execute: Callable[[str], Any], dataset: str) -> dict[str, int]:
    """Bring ``<dataset>.subscription_status_sightings`` up to date with the loaded
    statuses; sightings added and removed. ``execute`` runs one SQL statement and returns
    its rows (``drop_orphans`` takes the same)."""
    columns = execute(
        "select table_name, column_name from information_schema.columns "
        f"where table_schema = '{dataset}' and table_name in ('{RECIPIENTS}', '{STATUSES}')"
    )
    if {RECIPIENTS, STATUSES} - {table for table, _ in columns}:
        return {"added": 0, "removed": 0}
    # dlt creates no column for a value it has never seen: no `timestamp` column means no
    # status has a time.
    has_time = (STATUSES, "timestamp") in {(table, column) for table, column in columns}
    untimed = "statuses.timestamp is null" if has_time else "true"
    table = f'"{dataset}"."{SIGHTINGS_TABLE}"'
    execute(
        f"create table if not exists {table} ("
        "recipient varchar not null, subscription_id varchar, status varchar, "
        "first_seen_load_id varchar not null)"
    )
    current = (
        "select recipients.recipient, statuses.id as subscription_id, statuses.status, "
        "min(recipients._dlt_load_id) as load_id "
        f'from "{dataset}"."{STATUSES}" as statuses '
        f'inner join "{dataset}"."{RECIPIENTS}" as recipients '
        "on statuses._dlt_parent_id = recipients._dlt_id "
        f"where {untimed} group by 1, 2, 3"
    )
    same = (
        "current.recipient = seen.recipient "
        "and current.subscription_id is not distinct from seen.subscription_id "
        "and current.status is not distinct from seen.status"
    )
    # Sightings of statuses the CRM no longer holds: changed, given a time, or erased.
    removed = execute(
        f"delete from {table} as seen where not exists "
        f"(select 1 from ({current}) as current where {same})"
    )
    added = execute(
        f"insert into {table} select current.recipient, current.subscription_id, "
        f"current.status, current.load_id from ({current}) as current "
        f"where not exists (select 1 from {table} as seen where {same})"
    )
    return {
        "added": int(added[0][0]) if added else 0,
        "removed": int(removed[0][0]) if removed else 0,
    }


def record_sightings(
    execute: Callable[[str], Any], dataset: str, add: bool = True
) -> dict[str, int]:
    """Bring ``<dataset>.record_sightings`` up to date: the first load of every record of
    ``DATED_OBJECTS`` by object type and id, kept while the record is in the warehouse;
    sightings added and removed. Without ``add`` it only forgets records that are gone
    (erasure)."""
    present = {
        table
        for (table,) in execute(
            "select table_name from information_schema.columns "
            f"where table_schema = '{dataset}' and column_name = 'id'"
        )
    }
    table = f'"{dataset}"."{RECORD_SIGHTINGS_TABLE}"'
    execute(
        f"create table if not exists {table} ("
        "object_type varchar not null, record_id varchar not null, "
        "first_seen_load_id varchar not null)"
    )
    added = removed = 0
    for name in DATED_OBJECTS:
        if name not in present:
            continue
        records = f'"{dataset}"."{name}"'
        rows = execute(
            f"delete from {table} as seen where seen.object_type = '{name}' and not exists "
            f"(select 1 from {records} as records where records.id = seen.record_id)"
        )
        removed += int(rows[0][0]) if rows else 0
        if not add:
            continue
        rows = execute(
            f"insert into {table} select '{name}', records.id, min(records._dlt_load_id) "
            f"from {records} as records where records.id is not null and not exists "
            f"(select 1 from {table} as seen where seen.object_type = '{name}' "
            "and seen.record_id = records.id) group by records.id"
        )
        added += int(rows[0][0]) if rows else 0
    return {"added": added, "removed": removed}


def record_all_sightings(execute: Callable[[str], Any], dataset: str) -> dict[str, int]:
    """Both kinds of sightings, after a CRM load."""
    statuses = record_status_sightings(execute, dataset)
    records = record_sightings(execute, dataset)
    return {key: statuses[key] + records[key] for key in statuses}
