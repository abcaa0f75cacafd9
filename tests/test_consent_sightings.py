"""A CRM withdrawal without its own time is dated by the first load that brought it, not
by the latest export that repeated it (ingestion/crm/sightings.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestion.pipeline import load_sources
from leadhouse.build import run_dbt
from leadhouse.config import Warehouse
from leadhouse.erasure import erase
from tests.conftest import query


def _status(subscription: str, status: str, at: str | None) -> dict[str, Any]:
    return {
        "id": subscription,
        "name": {"1101": "Marketing newsletter", "1102": "Sales outreach"}[subscription],
        "status": status,
        "sourceOfStatus": "SUBSCRIPTION_STATUS",
        "legalBasis": "CONSENT_WITH_NOTICE" if status == "SUBSCRIBED" else None,
        "timestamp": at,
    }


def _deliver(data: Path, name: str, records: dict[str, list[dict[str, Any]]]) -> None:
    path = data / "crm" / f"communication_preferences-{name}.jsonl"
    path.write_text(
        "".join(
            json.dumps({"recipient": recipient, "subscriptionStatuses": statuses}) + "\n"
            for recipient, statuses in records.items()
        ),
        encoding="utf-8",
    )


def _load(data: Path, warehouse: Warehouse) -> str:
    """Load the CRM files not loaded yet; the new load's id. Loads are a second apart,
    since staging dates a load to the second."""
    time.sleep(1.1)
    load_sources(data, warehouse.database, warehouse.pipelines_dir, systems=("crm",))
    (load_id,) = query(
        warehouse.database, "select max(load_id) from raw_crm._dlt_loads where status = 0"
    )[0]
    return str(load_id)


def _sightings(warehouse: Warehouse) -> dict[tuple[str, str], tuple[str, str]]:
    rows = query(
        warehouse.database,
        "select recipient, subscription_id, status, first_seen_load_id "
        "from raw_crm.subscription_status_sightings",
    )
    return {(r, s): (status, load) for r, s, status, load in rows}


def _second(load_id: str) -> datetime:
    return datetime.fromtimestamp(int(float(load_id)), UTC).replace(tzinfo=None)


def test_a_withdrawal_without_a_time_keeps_the_date_it_was_first_loaded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "crm").mkdir(parents=True)
    warehouse = Warehouse(tmp_path / "warehouse")
    warehouse.root.mkdir()
    anna = [
        _status("1101", "NOT_SUBSCRIBED", None),
        _status("1102", "SUBSCRIBED", "2026-05-01T10:00:00.000Z"),
    ]

    # Load 1: Anna withdrew the newsletter (no time) and granted sales outreach (timed);
    # Bob withdrew the newsletter (no time).
    _deliver(
        data,
        "1",
        {
            "anna@firma.pl": anna,
            "bob@firma.pl": [_status("1101", "NOT_SUBSCRIBED", None)],
        },
    )
    first = _load(data, warehouse)
    assert _sightings(warehouse) == {
        ("anna@firma.pl", "1101"): ("NOT_SUBSCRIBED", first),
        ("bob@firma.pl", "1101"): ("NOT_SUBSCRIBED", first),
    }

    # Load 2: the next export repeats Anna's record unchanged; Bob subscribed again, timed.
    _deliver(
        data,
        "2",
        {
            "anna@firma.pl": anna,
            "bob@firma.pl": [_status("1101", "SUBSCRIBED", "2026-06-01T08:00:00.000Z")],
        },
    )
    second = _load(data, warehouse)
    assert second != first
    # The record itself now carries the second load: dated by it, the withdrawal would
    # have moved forward.
    assert query(
        warehouse.database,
        "select _dlt_load_id from raw_crm.communication_preferences "
        "where recipient = 'anna@firma.pl'",
    ) == [(second,)]
    assert _sightings(warehouse) == {("anna@firma.pl", "1101"): ("NOT_SUBSCRIBED", first)}

    # Load 3: Bob withdraws again, without a time: a new sighting, from this load.
    _deliver(data, "3", {"bob@firma.pl": [_status("1101", "NOT_SUBSCRIBED", None)]})
    third = _load(data, warehouse)
    assert _sightings(warehouse) == {
        ("anna@firma.pl", "1101"): ("NOT_SUBSCRIBED", first),
        ("bob@firma.pl", "1101"): ("NOT_SUBSCRIBED", third),
    }

    # Staging dates the untimed statuses by their sightings, the timed one by its own time
    # (and its record's load).
    run_dbt(warehouse, ["run", "--select", "stg_crm__subscription_statuses"], quiet=True)
    staged = query(
        warehouse.database,
        "select email, subscription_id, status_changed_at, first_loaded_at "
        "from staging.stg_crm__subscription_statuses order by 1, 2",
    )
    assert staged == [
        ("anna@firma.pl", "1101", None, _second(first)),
        ("anna@firma.pl", "1102", datetime(2026, 5, 1, 10), _second(second)),
        ("bob@firma.pl", "1101", None, _second(third)),
    ]

    # Erasure takes the sightings with the rest of the person's records.
    erase(warehouse.database, ["Anna@Firma.pl"])
    assert _sightings(warehouse) == {("bob@firma.pl", "1101"): ("NOT_SUBSCRIBED", third)}


def test_statuses_without_the_fields_hubspot_may_leave_out_still_stage(tmp_path: Path) -> None:
    """dlt creates no column for a field no status had: statuses with neither a time, an
    explanation nor a source of status stage with nulls instead of failing the build."""
    data = tmp_path / "data"
    (data / "crm").mkdir(parents=True)
    warehouse = Warehouse(tmp_path / "warehouse")
    warehouse.root.mkdir()
    bare = {"id": "1101", "name": "Marketing newsletter", "status": "NOT_SUBSCRIBED"}
    _deliver(data, "1", {"ola@firma.pl": [bare]})
    first = _load(data, warehouse)
    columns = {
        c
        for (c,) in query(
            warehouse.database,
            "select column_name from information_schema.columns "
            "where table_name = 'communication_preferences__subscription_statuses'",
        )
    }
    assert not {"timestamp", "legal_basis_explanation", "source_of_status"} & columns
    assert _sightings(warehouse) == {("ola@firma.pl", "1101"): ("NOT_SUBSCRIBED", first)}
    run_dbt(warehouse, ["run", "--select", "stg_crm__subscription_statuses"], quiet=True)
    assert query(
        warehouse.database,
        "select email, subscription_status, status_changed_at, legal_basis_explanation, "
        "source_of_status, first_loaded_at from staging.stg_crm__subscription_statuses",
    ) == [("ola@firma.pl", "NOT_SUBSCRIBED", None, None, None, _second(first))]


def _objects(data: Path, name: str, records: list[dict[str, Any]]) -> None:
    path = data / "crm" / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_a_record_without_a_date_keeps_the_date_it_was_first_loaded(tmp_path: Path) -> None:
    """A contact whose creation date is typed by hand and an activity dated 'last week',
    both without HubSpot's `createdAt` (as in CSV exports), are dated by their first load:
    re-exported, they do not become new again (the meeting's points would never decay)."""
    data = tmp_path / "data"
    (data / "crm").mkdir(parents=True)
    warehouse = Warehouse(tmp_path / "warehouse")
    warehouse.root.mkdir()

    def deliver(suffix: str) -> None:
        updated = f"2026-05-0{suffix}T00:00:00.000Z"
        _objects(
            data,
            f"contacts-{suffix}",
            [
                {
                    "id": "5001",
                    "properties": {"email": "ewa@firma.pl", "createdate": "yesterday"},
                    "updatedAt": updated,
                    "archived": False,
                }
            ],
        )
        _objects(
            data,
            f"meetings-{suffix}",
            [
                {
                    "id": "6001",
                    "properties": {"hs_timestamp": "last week", "hs_activity_type": "Demo"},
                    "updatedAt": updated,
                    "archived": False,
                    "associations": {
                        "contacts": {"results": [{"id": "5001", "type": "engagement_to_contact"}]}
                    },
                }
            ],
        )

    deliver("1")
    first = _load(data, warehouse)
    deliver("2")
    second = _load(data, warehouse)
    assert query(warehouse.database, "select _dlt_load_id from raw_crm.meetings") == [(second,)]
    assert sorted(
        query(
            warehouse.database,
            "select object_type, record_id, first_seen_load_id from raw_crm.record_sightings",
        )
    ) == [("contacts", "5001", first), ("meetings", "6001", first)]

    run_dbt(warehouse, ["run", "--select", "stg_crm__contacts", "stg_crm__meetings"], quiet=True)
    assert query(warehouse.database, "select created_at from staging.stg_crm__contacts") == [
        (_second(first),)
    ]
    assert query(warehouse.database, "select occurred_at from staging.stg_crm__meetings") == [
        (_second(first),)
    ]

    # Erasure removes the contact, the meeting that was only about her, and their sightings.
    erase(warehouse.database, ["ewa@firma.pl"])
    assert query(warehouse.database, "select count(*) from raw_crm.record_sightings") == [(0,)]
