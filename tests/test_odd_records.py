"""Records that are valid JSON but odd, the way people type them into a CRM or a form: the
whole run still publishes, and what staging could not read is reported.

Each of these used to stop `leadhouse run`: the dbt build (exit 3) or the quality gate
(exit 1, nothing published), over a single record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leadhouse.config import Warehouse
from leadhouse.generate.synthetic import generate
from leadhouse.runner import published_database
from tests.conftest import END_DATE, leadhouse_run, query


def _records(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file (the generator's deliberately broken lines
    left out)."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("properties"), dict):
            found.append(record)
    return found


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def _copy(record: dict[str, Any], **properties: Any) -> dict[str, Any]:
    copied = json.loads(json.dumps(record))
    copied["properties"].update(properties)
    return copied


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    data = tmp_path_factory.mktemp("odd-data")
    generate(data, people=400, seed=11, end=END_DATE)
    crm = data / "crm"
    contacts = _records(crm / "contacts.jsonl")
    companies = _records(crm / "companies.jsonl")
    meetings = _records(crm / "meetings.jsonl")
    ids = {
        "typo_email": "770001",
        "self_listed": "770002",
        "hand_dated": "770003",
        "typo_nip": "770101",
        "eu_nip": "770102",
        "meeting": "770201",
    }
    _write(
        crm / "contacts-odd.jsonl",
        [
            # A space in the address, and consent granted to it (below).
            {**_copy(contacts[10], email="jan kowalski@firma.pl"), "id": ids["typo_email"]},
            # A contact listing its own id (and a blank) as merged into it.
            {
                **_copy(contacts[11], email="self.listed@firma.pl", hs_merged_object_ids=";"),
                "id": ids["self_listed"],
            },
            {
                **_copy(contacts[12], email="hand.dated@firma.pl", createdate="yesterday"),
                "id": ids["hand_dated"],
            },
        ],
    )
    _write(  # The self-listing, now with its own id (the file above cannot know it).
        crm / "contacts-odd-2.jsonl",
        [
            {
                **_copy(
                    contacts[11],
                    email="self.listed@firma.pl",
                    hs_merged_object_ids=f"{ids['self_listed']}; ",
                ),
                "id": ids["self_listed"],
            }
        ],
    )
    nip = companies[0]["properties"]["nip"]
    _write(
        crm / "companies-odd.jsonl",
        [
            {
                **_copy(companies[1], nip=nip[:9] + str((int(nip[9]) + 1) % 10)),
                "id": ids["typo_nip"],
            },
            {**_copy(companies[2], nip=f"PL {nip[:3]}-{nip[3:6]}-{nip[6:]}"), "id": ids["eu_nip"]},
        ],
    )
    meeting = _copy(meetings[0], hs_timestamp="last week")
    meeting["id"] = ids["meeting"]
    _write(crm / "meetings-odd.jsonl", [meeting])
    # Subscription statuses: a grant to the address with a space, a grant and a withdrawal
    # without their times.
    preferences = [
        json.loads(line)
        for line in (crm / "communication_preferences.jsonl").read_text().splitlines()
    ]
    granted = json.loads(json.dumps(preferences[0]))
    granted["recipient"] = "jan kowalski@firma.pl"
    untimed = json.loads(json.dumps(preferences[1]))
    untimed["recipient"] = "hand.dated@firma.pl"
    untimed["subscriptionStatuses"] = untimed["subscriptionStatuses"][:2]
    untimed["subscriptionStatuses"][0].update(status="SUBSCRIBED", timestamp=None)
    untimed["subscriptionStatuses"][1].update(status="NOT_SUBSCRIBED", timestamp=None)
    # One status with a time that is none: the recipient's other statuses still load.
    sent_soon = json.loads(json.dumps(preferences[2]))
    sent_soon["subscriptionStatuses"][0]["timestamp"] = "soon"
    ids["sent_soon"] = sent_soon["recipient"]
    _write(crm / "communication_preferences-odd.jsonl", [granted, untimed, sent_soon])
    # Web calls with an empty anonymousId: one identifies a known contact, the other comes
    # from a userId no contact has. An empty anonymousId is no identifier, so it must not
    # carry the first call's person to the second.
    ids["known_user"] = str(contacts[13]["id"])
    ids["unknown_user"] = "990001"
    web_call = {
        "anonymousId": "",
        "timestamp": "2026-10-20T10:00:00.000Z",
        "receivedAt": "2026-10-20T10:00:01.000Z",
    }
    _write(
        data / "web_analytics" / "segment-events-odd.jsonl",
        [
            {
                **web_call,
                "type": "identify",
                "messageId": "odd-identify",
                "userId": ids["known_user"],
                "traits": {},
            },
            {
                **web_call,
                "type": "page",
                "messageId": "odd-page",
                "userId": ids["unknown_user"],
                "properties": {"path": "/pricing"},
                "context": {"page": {"path": "/pricing"}},
            },
        ],
    )

    warehouse = tmp_path_factory.mktemp("odd-warehouse")
    result = leadhouse_run(data, warehouse)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Values staging could not read" in result.stdout
    assert published_database(Warehouse(warehouse)).exists()
    return warehouse / "leadhouse.duckdb", ids


def test_what_staging_could_not_read_is_reported(odd_run: tuple[Path, dict[str, str]]) -> None:
    database, ids = odd_run
    reported = {
        (table, record, column)
        for table, record, column in query(
            database,
            "select source_table, record_id, column_name from staging.stg_values_not_typed",
        )
    }
    assert {
        ("raw_crm.contacts", ids["typo_email"], "properties__email"),
        ("raw_crm.contacts", ids["hand_dated"], "properties__createdate"),
        ("raw_crm.companies", ids["typo_nip"], "properties__nip"),
        ("raw_crm.meetings", ids["meeting"], "properties__hs_timestamp"),
    } <= reported
    assert ("raw_crm.companies", ids["eu_nip"], "properties__nip") not in reported
    assert query(
        database,
        "select raw_value from staging.stg_values_not_typed "
        "where column_name = 'subscriptionStatuses.timestamp'",
    ) == [("soon",)]


def test_a_status_with_a_time_that_is_none_keeps_its_recipients_other_statuses(
    odd_run: tuple[Path, dict[str, str]],
) -> None:
    database, ids = odd_run
    statuses = query(
        database,
        "select count(*), count(status_changed_at) from staging.stg_crm__subscription_statuses "
        f"where email = '{ids['sent_soon']}'",
    )
    generated = query(
        database,
        "select count(*) from raw_crm.communication_preferences__subscription_statuses s "
        "join raw_crm.communication_preferences r on s._dlt_parent_id = r._dlt_id "
        f"where r.recipient = '{ids['sent_soon']}'",
    )[0][0]
    assert statuses == [(generated, generated - 1)] and generated >= 2
    assert query(
        database,
        "select count(*) from raw_crm.quarantine where file_name like 'communication%'",
    ) == [(0,)]


def test_odd_records_keep_their_people_and_accounts(odd_run: tuple[Path, dict[str, str]]) -> None:
    database, ids = odd_run
    people = dict(
        query(
            database,
            "select crm_contact_id, email from marts.dim_person "
            f"where crm_contact_id in ('{ids['typo_email']}', '{ids['self_listed']}', "
            f"'{ids['hand_dated']}')",
        )
    )
    # Each is one person; the address that is none is not published.
    assert people == {
        ids["typo_email"]: None,
        ids["self_listed"]: "self.listed@firma.pl",
        ids["hand_dated"]: "hand.dated@firma.pl",
    }
    accounts = dict(
        query(
            database,
            "select account_id, nip from marts.dim_account "
            f"where account_id in ('{ids['typo_nip']}', '{ids['eu_nip']}')",
        )
    )
    assert (
        accounts[ids["typo_nip"]]
        != query(
            database,
            f"select properties__nip from raw_crm.companies where id = '{ids['typo_nip']}'",
        )[0][0]
    )
    assert len(accounts[ids["eu_nip"]]) == 10 and accounts[ids["eu_nip"]].isdigit()


def test_a_status_without_its_time_withdraws_but_grants_nothing(
    odd_run: tuple[Path, dict[str, str]],
) -> None:
    """Of the two statuses without a time, only the withdrawal is a decision, dated when
    the warehouse loaded it (so the as-of moment of this run, earlier, does not see it)."""
    database, ids = odd_run
    decisions = query(
        database,
        "select events.status, events.captured_at = "
        "(select max(first_loaded_at) from staging.stg_crm__subscription_statuses) "
        "from intermediate.int_consent_events as events "
        "inner join marts.dim_person as person using (person_id) "
        f"where person.crm_contact_id = '{ids['hand_dated']}' "
        "and events.consent_source = 'crm_subscription_status'",
    )
    assert decisions == [("withdrawn", True)]


def test_an_empty_anonymous_id_joins_nobody_to_anybody(
    odd_run: tuple[Path, dict[str, str]],
) -> None:
    """The page seen under an empty anonymousId and an unknown userId stays nobody's, a
    visitor of its own, although another call with an empty anonymousId named a contact."""
    database, ids = odd_run
    events = {
        event_id: (anonymous_id, person_id is not None, visitor_key)
        for event_id, anonymous_id, person_id, visitor_key in query(
            database,
            "select event_id, anonymous_id, person_id, visitor_key "
            "from intermediate.int_web_events_attributed "
            "where event_id in ('odd-identify', 'odd-page')",
        )
    }
    assert events["odd-identify"][:2] == (None, True)
    assert events["odd-page"] == (None, False, f"user:{ids['unknown_user']}")
    assert query(
        database,
        "select count(*) from intermediate.int_anonymous_ids_resolved "
        "where anonymous_id is null or anonymous_id = ''",
    ) == [(0,)]
