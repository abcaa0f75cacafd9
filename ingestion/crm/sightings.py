"""When the warehouse first saw a subscription status that carries no time of its own.

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

A run stopped between its CRM load and this step (killed, or the step failed) leaves the
load's new statuses without a sighting; the next run records them with its own load, the
latest that delivered them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SIGHTINGS_TABLE = "subscription_status_sightings"
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
