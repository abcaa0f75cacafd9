"""The generator: deterministic, valid identifiers, real-system shapes, dirt, and signal."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from leadhouse import taxids
from leadhouse.generate.synthetic import generate


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    end = date(2026, 11, 1)
    generate(tmp_path / "a", people=300, seed=11, end=end)
    generate(tmp_path / "b", people=300, seed=11, end=end)
    generate(tmp_path / "c", people=300, seed=12, end=end)
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert a == b
    assert set(a) == set(c) and a != c


def _json_lines(path: Path) -> tuple[list[dict], int]:
    good, bad = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            good.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
    return good, bad


def test_segment_events_follow_the_spec(dataset: Path) -> None:
    events, malformed = [], 0
    for path in sorted((dataset / "web_analytics").glob("*.jsonl")):
        good, bad = _json_lines(path)
        events += good
        malformed += bad
    assert malformed > 0, "controlled dirt: truncated lines"
    types = Counter(e.get("type") for e in events)
    assert {"page", "track", "identify", "group"} <= set(types)
    pages = [e for e in events if e.get("type") == "page"]
    assert all(e["context"]["page"]["path"].startswith("/") for e in pages)
    assert all("anonymousId" in e and "timestamp" in e for e in events)
    identifies = [e for e in events if e["type"] == "identify"]
    assert all("@" in e["traits"]["email"] for e in identifies)
    assert any(e["userId"] is None for e in identifies) and any(e["userId"] for e in identifies)
    message_ids = Counter(e.get("messageId") for e in events if e.get("messageId"))
    assert any(n > 1 for n in message_ids.values()), "controlled dirt: replayed messageIds"
    assert any(e.get("context", {}).get("campaign") for e in pages), "UTM campaigns"
    # Late arrivals: a batch delivered last that holds events older than ones already sent.
    late_file = dataset / "web_analytics" / "segment-events-late.jsonl"
    assert sorted((dataset / "web_analytics").glob("*.jsonl"))[-1] == late_file
    late, _ = _json_lines(late_file)
    on_time = [
        e["timestamp"]
        for path in sorted((dataset / "web_analytics").glob("segment-events-0*.jsonl"))
        for e in _json_lines(path)[0]
        if e.get("timestamp", "").startswith("20")
    ]
    assert late and min(e["timestamp"] for e in late) < max(on_time)


def test_sendgrid_batches_are_json_arrays_with_both_category_shapes(dataset: Path) -> None:
    events = []
    for path in sorted((dataset / "email").glob("sendgrid-events-0*.json")):
        events += json.loads(path.read_text(encoding="utf-8"))
    kinds = Counter(e["event"] for e in events)
    assert {"processed", "delivered", "open", "click", "bounce"} <= set(kinds)
    assert any(isinstance(e["category"], list) for e in events)
    assert any(isinstance(e["category"], str) for e in events)
    opens = [e for e in events if e["event"] == "open"]
    assert any(e["sg_machine_open"] for e in opens) and not all(e["sg_machine_open"] for e in opens)
    assert all(e["sg_event_id"] and isinstance(e["timestamp"], int) for e in events)
    partial = (dataset / "email" / "sendgrid-events-partial.json").read_text(encoding="utf-8")
    try:
        json.loads(partial)
        raise AssertionError("the partial webhook batch must be cut off")
    except json.JSONDecodeError:
        pass


def test_hubspot_objects_have_v3_shape(dataset: Path) -> None:
    contacts, malformed = _json_lines(dataset / "crm" / "contacts.jsonl")
    assert malformed == 1
    assert all(set(c) >= {"id", "properties", "createdAt", "archived"} for c in contacts)
    assert any(c["properties"]["hs_merged_object_ids"] for c in contacts)
    assert any(";" in (c["properties"]["hs_merged_object_ids"] or "") for c in contacts)
    emails = [c["properties"]["email"] for c in contacts]
    assert any(e != e.lower() for e in emails), "controlled dirt: mixed-case e-mails"
    deals, _ = _json_lines(dataset / "crm" / "deals.jsonl")
    stages = Counter(d["properties"]["dealstage"] for d in deals)
    assert stages["closedwon"] > 0 and stages["closedlost"] > 0
    (pipeline,) = _json_lines(dataset / "crm" / "pipelines.jsonl")[0]
    assert set(stages) <= {s["id"] for s in pipeline["stages"]}
    preferences, _ = _json_lines(dataset / "crm" / "communication_preferences.jsonl")
    statuses = [s for p in preferences for s in p["subscriptionStatuses"]]
    assert {"SUBSCRIBED", "NOT_SUBSCRIBED"} <= {s["status"] for s in statuses}
    assert all(s["legalBasis"] for s in statuses)


def test_registry_check_digits_valid_except_injected_dirt(dataset: Path) -> None:
    records, malformed = _json_lines(dataset / "company_registry" / "firmographics.jsonl")
    assert malformed == 1
    nips = [r["nip"] for r in records if r["nip"]]
    invalid = [n for n in nips if not taxids.is_valid_nip(n)]
    assert 0 < len(invalid) < 0.1 * len(nips)
    assert all(taxids.is_valid_regon(r["regon"]) for r in records)
    assert {"Czynny", "Zwolniony", None} == {r["vat_status"] for r in records}
    assert any(r["in_liquidation"] for r in records)
    assert all(r["krs"] is None or taxids.is_valid_krs(r["krs"]) for r in records)


def test_traits_drive_outcomes(dataset: Path) -> None:
    with (dataset / "_truth" / "people.csv").open(encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    by_persona: dict[str, list[str]] = {}
    for row in truth:
        by_persona.setdefault(row["persona"], []).append(row["deal_outcome"])

    def win_rate(persona: str) -> float:
        outcomes = by_persona[persona]
        return outcomes.count("won") / len(outcomes)

    assert win_rate("champion") > 0.2
    assert win_rate("student") == 0
    assert win_rate("champion") > 5 * win_rate("content_reader")


def test_volumes_shift_traffic_without_touching_people(tmp_path: Path) -> None:
    """The benchmark's mix (more anonymous visits, fewer sends) keeps the same people."""
    from leadhouse.generate.synthetic import Volumes

    default = generate(tmp_path / "a", people=300, seed=3, end=date(2026, 11, 1))
    bench = generate(
        tmp_path / "b",
        people=300,
        seed=3,
        end=date(2026, 11, 1),
        volumes=Volumes(anonymous_visitors_per_person=2.4, email_sends=3),
    )
    assert bench.crm_contacts == default.crm_contacts and bench.companies == default.companies
    assert bench.web_events > default.web_events * 1.3
    assert bench.email_events < default.email_events * 0.6

    def people(folder: Path) -> list[str]:
        # Contact lines carry dirt (truncated lines, upper-case addresses): raw id and e-mail.
        text = (folder / "crm" / "contacts.jsonl").read_text().lower()
        return re.findall(r'"id": "\d+", "properties": \{"email": "[^"]*"', text)

    assert people(tmp_path / "a") == people(tmp_path / "b")


def test_company_domains_stay_unique_when_short_suffixes_run_out(monkeypatch) -> None:
    """Large scales exhaust name x suffix combinations; the generator must not loop."""
    from leadhouse.generate import catalog, synthetic

    monkeypatch.setattr(catalog, "NAME_STEMS", ["Acme"])
    monkeypatch.setattr(catalog, "NAME_TAILS", ["trans"])
    gen = synthetic._Generator(Path("unused"), 10, 1, date(2026, 11, 1), 30, synthetic.Volumes())
    used: set[str] = set()
    domains = [gen._company(5001 + n, "logistics", used).domain for n in range(300)]
    assert len(set(domains)) == 300


@pytest.mark.parametrize("people", [300, 100_000, 499_000, 1_000_000, 3_000_000])
def test_merged_contact_ids_never_repeat_live_ones(people: int) -> None:
    """At L (1 M people) ids merged away once used to repeat live contact ids."""
    from leadhouse.generate.synthetic import merged_id_bases

    merged, chained = merged_id_bases(people)
    live = range(1001, 1001 + people)
    assert live[-1] < merged and merged + people <= chained
    if people <= 100_000:  # the S and M data sets are unchanged
        assert (merged, chained) == (500_000, 800_000)


def test_company_and_registry_ids_stay_unique(monkeypatch) -> None:
    """UK company ids used to repeat Polish ones from 9 k people on, and KRS numbers,
    drawn from a million, repeated by the tens of thousands at L."""
    from leadhouse.generate import synthetic

    monkeypatch.setattr(
        synthetic.taxids, "random_krs", lambda rng: f"{rng.randint(1, 20_000):010d}"
    )
    gen = synthetic._Generator(
        Path("unused"), 12_000, 1, date(2026, 11, 1), 30, synthetic.Volumes()
    )
    gen.make_companies()
    ids = [c.company_id for c in gen.companies] + [c["company_id"] for c in gen.uk_companies]
    assert len(gen.uk_companies) >= 100 and len(set(ids)) == len(ids)
    for kind in ("nip", "regon", "krs"):
        values = [getattr(c, kind) for c in gen.companies if getattr(c, kind) is not None]
        assert len(values) > 1_000 and len(set(values)) == len(values), kind
