"""Landing files as other tools write them: a byte order mark before the first record,
bytes that are not UTF-8, CSV rows cut short or shifted, XML cut off part-way. Each bad
record is quarantined with its reason and line; every good record loads."""

from __future__ import annotations

import copy
import gzip
import json
import re
import shutil
import zlib
from pathlib import Path

import pytest

from ingestion.common import UTF8_BOM
from ingestion.company_registry import registry_files
from ingestion.pipeline import load_sources
from leadhouse import taxids
from tests.conftest import query
from tests.registry_runs import query_registry, run_registry


def _loaded(warehouse: Path, dataset: str) -> dict[str, int]:
    """Rows per table of a raw dataset, and each quarantine reason with its count."""
    database = warehouse / "w.duckdb"
    tables = query(
        database,
        "select table_name from duckdb_tables() "
        f"where schema_name = '{dataset}' and table_name not like '\\_dlt%' escape '\\'",
    )
    counts = {
        table: query(database, f'select count(*) from {dataset}."{table}"')[0][0]
        for (table,) in tables
    }
    if "quarantine" in counts:
        for reason, n in query(
            database, f"select reason, count(*) from {dataset}.quarantine group by reason"
        ):
            counts[f"quarantine: {reason}"] = n
    return counts


@pytest.mark.parametrize("system", ["crm", "web_analytics", "email", "company_registry"])
def test_a_byte_order_mark_before_the_first_record_changes_nothing(
    system: str, dataset: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    marked = tmp_path / "marked"
    shutil.copytree(dataset / system, plain / system)
    shutil.copytree(dataset / system, marked / system)
    files = sorted((marked / system).iterdir())
    assert {f.suffix for f in files} <= {".json", ".jsonl", ".csv", ".xml"}
    for path in files:
        path.write_bytes(UTF8_BOM + path.read_bytes())

    loaded = {}
    for landing in (plain, marked):
        warehouse = tmp_path / f"{landing.name}-warehouse"
        load_sources(landing, warehouse / "w.duckdb", warehouse / "p", systems=(system,))
        loaded[landing.name] = _loaded(warehouse, f"raw_{system}")
    assert loaded["marked"] == loaded["plain"]
    assert sum(n for table, n in loaded["plain"].items() if "quarantine" not in table) > 0


@pytest.mark.parametrize(
    ("system", "file", "table"),
    [
        ("crm", "contacts.jsonl", "contacts"),
        ("web_analytics", "segment-events-0001.jsonl", "events"),
        ("email", "sendgrid-events-0001.json", "events"),
        ("company_registry", "firmographics.jsonl", "firmographics"),
    ],
)
def test_a_record_that_is_not_utf8_is_quarantined_as_such(
    system: str, file: str, table: str, dataset: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    bad = tmp_path / "bad"
    shutil.copytree(dataset / system, plain / system)
    shutil.copytree(dataset / system, bad / system)
    lines = (bad / system / file).read_bytes().split(b"\n")
    line = 3  # a Latin-1 byte in its first string
    position = lines[line - 1].index(b'"') + 2
    lines[line - 1] = lines[line - 1][: position - 1] + b"\xe9" + lines[line - 1][position - 1 :]
    (bad / system / file).write_bytes(b"\n".join(lines))

    loaded = {}
    for landing in (plain, bad):
        warehouse = tmp_path / f"{landing.name}-warehouse"
        load_sources(landing, warehouse / "w.duckdb", warehouse / "p", systems=(system,))
        loaded[landing.name] = _loaded(warehouse, f"raw_{system}")
    assert loaded["bad"].pop(table) == loaded["plain"].pop(table) - 1
    reason = f"not UTF-8 text: byte 0xe9 at position {position}"
    assert loaded["bad"].pop(f"quarantine: {reason}") == 1
    assert loaded["bad"].pop("quarantine") == loaded["plain"].pop("quarantine", 0) + 1
    if system == "crm":  # the contact's nested rows and its first-load record go with it
        assert loaded["bad"].pop("record_sightings") == loaded["plain"].pop("record_sightings") - 1
        loaded["bad"] = {t: n for t, n in loaded["bad"].items() if not t.startswith("contacts__")}
        loaded["plain"] = {
            t: n for t, n in loaded["plain"].items() if not t.startswith("contacts__")
        }
    assert loaded["bad"] == loaded["plain"]
    database = tmp_path / "bad-warehouse" / "w.duckdb"
    ((number,),) = query(
        database, f"select line_number from raw_{system}.quarantine where reason = '{reason}'"
    )
    assert number == line


def _nips(count: int) -> list[str]:
    """Distinct valid NIPs (a prefix whose check digit would be 10 has none)."""
    found = []
    for prefix in range(526_000_000, 526_001_000):
        digit = taxids.nip_check_digit(str(prefix))
        if digit is not None:
            found.append(f"{prefix}{digit}")
    return found[:count]


HEADER = b"nip,name,headcount_band,revenue_band_pln,branches,www,as_of\n"


def test_bad_csv_records_are_quarantined_and_the_rest_of_the_file_loads(tmp_path: Path) -> None:
    nips = _nips(6)
    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "firmographics-purchased.csv").write_bytes(
        HEADER  # line 1
        + f"{nips[0]},FIRST sp. z o.o.,10-49,2M-10M,1,first.pl,2026-09-22\n".encode()
        + f"{nips[1]},Caf".encode()
        + b"\xe9 Sp. z o.o.,10-49,2M-10M,1,cafe.pl,2026-09-22\n"  # Latin-1, not UTF-8
        + f"{nips[2]},Cut off\n".encode()
        + f"{nips[3]},Shifted, by a comma,10-49,2M-10M,1,s.pl,2026-09-22\n".encode()
        + b"\n"  # line 6, blank
        + f'{nips[4]},"Two\nlines S.A.",10-49,2M-10M,3,two.pl,2026-09-22\n'.encode()
        + f"{nips[5]},ŁÓDŹ sp. z o.o.,10-49,2M-10M,1,lodz.pl,2026-09-22\n".encode()
    )
    summary = run_registry(registry_files(folder), tmp_path)

    loaded = query_registry(
        tmp_path, "select nip, name from raw_company_registry.purchased_firmographics order by 1"
    )
    assert loaded == [
        (nips[0], "FIRST sp. z o.o."),
        (nips[4], "Two\nlines S.A."),
        (nips[5], "ŁÓDŹ sp. z o.o."),
    ]
    assert summary.tables["purchased_firmographics"] == 3
    rejects = query_registry(
        tmp_path,
        "select line_number, reason, raw_payload from raw_company_registry.quarantine "
        "order by line_number",
    )
    assert [(line, reason) for line, reason, _ in rejects] == [
        (3, "not UTF-8 text: byte 0xe9 in column 'name'"),
        (4, "2 fields where the header has 7"),
        (5, "8 fields where the header has 7"),
    ]
    assert nips[1] in rejects[0][2] and "Caf\ufffd Sp. z o.o." in rejects[0][2]
    assert "Cut off" in rejects[1][2] and "Shifted" in rejects[2][2]


def test_a_bir_file_cut_off_part_way_keeps_the_reports_before_the_fault(
    dataset: Path, tmp_path: Path
) -> None:
    whole = (dataset / "company_registry" / "bir-reports.xml").read_bytes()
    # Cut inside a report half-way through: the reports before it are complete.
    cut = whole.index(b"<dane>", len(whole) // 2) + len(b"<dane><praw")
    loaded = {}
    for name, data in (("whole", whole), ("cut", whole[:cut])):
        folder = tmp_path / name / "landing"
        folder.mkdir(parents=True)
        (folder / "bir-reports.xml").write_bytes(data)
        run_registry(registry_files(folder), tmp_path / name)
        loaded[name] = {
            regon
            for (regon,) in query_registry(
                tmp_path / name, "select regon from raw_company_registry.regon_reports"
            )
        }
    before_cut = {m.decode() for m in re.findall(rb"<praw_regon9>(\d+)<", whole[:cut])}
    assert loaded["cut"] == loaded["whole"] & before_cut
    assert 0 < len(loaded["cut"]) < len(loaded["whole"])
    (fault,) = query_registry(
        tmp_path / "cut",
        "select line_number, reason from raw_company_registry.quarantine "
        "where reason like 'malformed XML%'",
    )
    assert fault[0] == whole[:cut].count(b"\n") + 1
    assert fault[1].endswith("(reports before it were read)")


@pytest.mark.parametrize(
    ("system", "file", "key", "column"),
    [
        ("web_analytics", "segment-events-0001.jsonl", "messageId", "message_id"),
        ("email", "sendgrid-events-0001.json", "sg_event_id", "sg_event_id"),
    ],
)
def test_a_gz_file_cut_off_mid_write_keeps_the_events_before_the_cut(
    system: str, file: str, key: str, column: str, dataset: Path, tmp_path: Path
) -> None:
    whole = (dataset / system / file).read_bytes()
    packed = gzip.compress(whole)
    cut = packed[: len(packed) // 2]
    readable = zlib.decompressobj(wbits=31).decompress(cut)
    complete = readable[: readable.rindex(b"\n")]  # the lines before the cut one
    before_cut = {m.decode() for m in re.findall(rf'"{key}": ?"([^"]+)"'.encode(), complete)}
    landings = {"whole": {file: whole}, "cut": {f"{file}.gz": cut, f"not-{file}.gz": b"plain"}}
    loaded = {}
    for name, files in landings.items():
        folder = tmp_path / name / system
        folder.mkdir(parents=True)
        for file_name, data in files.items():
            (folder / file_name).write_bytes(data)
        warehouse = tmp_path / f"{name}-warehouse"
        load_sources(folder.parent, warehouse / "w.duckdb", warehouse / "p", systems=(system,))
        loaded[name] = {
            value
            for (value,) in query(
                warehouse / "w.duckdb", f"select {column} from raw_{system}.events"
            )
        }
    assert loaded["cut"] == loaded["whole"] & before_cut
    assert 0 < len(loaded["cut"]) < len(loaded["whole"])
    faults = query(
        tmp_path / "cut-warehouse" / "w.duckdb",
        f"select file_name, line_number, reason from raw_{system}.quarantine "
        "where reason like 'unreadable file%' order by file_name",
    )
    assert faults == [
        (f"not-{file}.gz", None, "unreadable file: Not a gzipped file (b'pl')"),
        (
            f"{file}.gz",
            None,
            "unreadable file: Compressed file ended before the end-of-stream marker was reached",
        ),
    ]


def test_crm_csv_exports_quarantine_bad_rows_and_load_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "landing" / "crm"
    folder.mkdir(parents=True)
    (folder / "contacts.csv").write_bytes(
        b"hs_object_id,email,firstname,hs_lead_status\n"  # line 1
        b"101,anna@example.pl,Anna,NEW\n"
        b"102,caf\xe9@example.pl,Zofia,NEW\n"  # Latin-1, not UTF-8
        b"103,cut@example.pl\n"
        b"104,extra@example.pl,Jan,NEW,surplus\n"
        b'105,two@example.pl,"Maria\nJoanna",OPEN\n'  # lines 6-7
        b"106,last@example.pl,Piotr,NEW\n"
    )
    warehouse = tmp_path / "warehouse"
    load_sources(tmp_path / "landing", warehouse / "w.duckdb", warehouse / "p", systems=("crm",))
    database = warehouse / "w.duckdb"
    loaded = query(database, "select id, properties__firstname from raw_crm.contacts order by id")
    assert loaded == [("101", "Anna"), ("105", "Maria\nJoanna"), ("106", "Piotr")]
    rejects = query(
        database, "select line_number, reason from raw_crm.quarantine order by line_number"
    )
    assert rejects == [
        (3, "not UTF-8 text: byte 0xe9 in column 'email'"),
        (4, "2 fields where the header has 4"),
        (5, "5 fields where the header has 4"),
    ]


def test_a_corrupt_parquet_file_is_quarantined_and_the_other_files_load(
    dataset: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "landing" / "web_analytics"
    folder.mkdir(parents=True)
    shutil.copy(dataset / "web_analytics" / "segment-events-late.jsonl", folder)
    (folder / "broken.parquet").write_bytes(b"PAR1 not really")
    warehouse = tmp_path / "warehouse"
    (summary,) = load_sources(
        tmp_path / "landing", warehouse / "w.duckdb", warehouse / "p", systems=("web_analytics",)
    )
    assert summary.tables["events"] > 0
    faults = query(
        warehouse / "w.duckdb",
        "select file_name, line_number, reason from raw_web_analytics.quarantine "
        "where file_name = 'broken.parquet'",
    )
    assert faults == [
        (
            "broken.parquet",
            None,
            "unreadable file: not a readable Parquet file: Parquet magic bytes not found in "
            "footer. Either the file is corrupted or this is not a parquet file.",
        )
    ]


def test_companies_house_values_of_another_type_are_quarantined_not_coerced(
    tmp_path: Path,
) -> None:
    profiles = [
        {"company_number": "01234567", "company_name": "GOOD LTD", "sic_codes": ["52103"]},
        {"company_number": "2", "sic_codes": [52103]},
        {"company_number": "3", "sic_codes": "52103"},
        {"company_number": "4", "registered_office_address": "Leeds"},
        {"company_number": 1234567},
        {"company_number": "6", "company_name": {"en": "SIX LTD"}},
        {"company_number": "7", "has_insolvency_history": "false"},
        {"company_number": "8", "registered_office_address": {"postal_code": 1}},
        ["not", "a", "profile"],
    ]
    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "companies_house-profiles.jsonl").write_text(
        "\n".join(json.dumps(p) for p in profiles) + "\n", encoding="utf-8"
    )
    summary = run_registry(registry_files(folder), tmp_path)

    assert query_registry(
        tmp_path,
        "select company_number, company_name, sic_codes "
        "from raw_company_registry.companies_house_profiles",
    ) == [("01234567", "GOOD LTD", "52103")]
    assert summary.quarantined == len(profiles) - 1
    reasons = query_registry(
        tmp_path, "select line_number, reason from raw_company_registry.quarantine order by 1"
    )
    assert reasons == [
        (2, "wrong type: sic_codes must be a list of texts, got [52103]"),
        (3, "wrong type: sic_codes must be a list of texts, got '52103'"),
        (4, "wrong type: registered_office_address must be an object, got 'Leeds'"),
        (5, "wrong type: company_number must be text, got 1234567"),
        (6, "wrong type: company_name must be text, got {'en': 'SIX LTD'}"),
        (7, "wrong type: has_insolvency_history must be true or false, got 'false'"),
        (8, "wrong type: registered_office_address.postal_code must be text, got 1"),
        (9, "not a JSON object"),
    ]


def test_email_values_of_another_type_are_quarantined_not_coerced(
    dataset: Path, tmp_path: Path
) -> None:
    (template,) = json.loads((dataset / "email" / "sendgrid-events-0001.json").read_bytes())[:1]
    odd = [
        ("email", ["a@example.pl"], "wrong type: email must be text, got ['a@example.pl']"),
        ("sg_event_id", ["x"], "wrong type: sg_event_id must be text, got ['x']"),
        ("url", 5, "wrong type: url must be text, got 5"),
        ("status", {"code": 5}, "wrong type: status must be text, got {'code': 5}"),
        (
            "category",
            {"x": 1},
            "wrong type: category must be text or a list of texts, got {'x': 1}",
        ),
        ("asm_group_id", "abc", "wrong type: asm_group_id must be an integer, got 'abc'"),
        (
            "asm_group_id",
            2**63,  # beyond a signed 64-bit integer
            f"wrong type: asm_group_id must be an integer, got {2**63}",
        ),
        ("sg_machine_open", "yes", "wrong type: sg_machine_open must be true or false, got 'yes'"),
    ]
    events = [template | {"sg_event_id": "good", "asm_group_id": "42", "category": ["a"]}]
    events += [
        template | {"sg_event_id": f"odd-{n}", field: value}
        for n, (field, value, _) in enumerate(odd)
    ]
    folder = tmp_path / "landing" / "email"
    folder.mkdir(parents=True)
    (folder / "events.json").write_text(json.dumps(events), encoding="utf-8")
    warehouse = tmp_path / "warehouse"
    load_sources(tmp_path / "landing", warehouse / "w.duckdb", warehouse / "p", systems=("email",))
    database = warehouse / "w.duckdb"
    assert query(
        database, "select sg_event_id, asm_group_id, categories from raw_email.events"
    ) == [("good", 42, '["a"]')]
    rejects = query(database, "select line_number, reason from raw_email.quarantine order by 1")
    assert rejects == [(n + 2, reason) for n, (_, _, reason) in enumerate(odd)]


def test_crm_records_whose_id_is_not_text_are_quarantined(tmp_path: Path) -> None:
    folder = tmp_path / "landing" / "crm"
    folder.mkdir(parents=True)
    records = [
        {"id": "101", "properties": {"email": "anna@example.pl"}},
        {"id": {"nested": 1}, "properties": {"email": "b@example.pl"}},
        {"id": True, "properties": {"email": "c@example.pl"}},
        {"id": 104, "properties": {"email": "d@example.pl"}},
    ]
    (folder / "contacts.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8"
    )
    warehouse = tmp_path / "warehouse"
    load_sources(tmp_path / "landing", warehouse / "w.duckdb", warehouse / "p", systems=("crm",))
    database = warehouse / "w.duckdb"
    assert query(database, "select id from raw_crm.contacts order by id") == [("101",), ("104",)]
    assert query(database, "select line_number, reason from raw_crm.quarantine order by 1") == [
        (2, "wrong type: id must be text, got {'nested': 1}"),
        (3, "wrong type: id must be text, got True"),
    ]


def test_registry_values_that_cannot_be_stored_are_quarantined(
    dataset: Path, tmp_path: Path
) -> None:
    registry = dataset / "company_registry"
    krs = json.loads((registry / "krs-odpisy.jsonl").read_text(encoding="utf-8").splitlines()[0])

    def changed(number: str, path: tuple[str, ...], value: object) -> dict[str, object]:
        document = copy.deepcopy(krs)
        document["odpis"]["naglowekA"]["numerKRS"] = number
        target = document["odpis"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return document

    capital = ("dane", "dzial1", "kapital", "wysokoscKapitaluZakladowego", "wartosc")
    # The first extract as generated, with a capital written the Polish way.
    first = copy.deepcopy(krs)
    target = first["odpis"]
    for key in capital[:-1]:
        target = target[key]
    target[capital[-1]] = "1 234 567,89"
    documents = [
        first,
        changed("0000000019", ("dane", "dzial1", "danePodmiotu", "nazwa"), ["A", "B"]),
        changed("0000000027", ("naglowekA", "dataRejestracjiWKRS"), "31.02.2020"),
        changed("0000000035", capital, "1e400"),
        changed("0000000043", capital, "nan"),
        changed("0000000051", capital, 125000),
    ]
    answer = json.loads((registry / "whitelist-answers.json").read_text(encoding="utf-8"))[0]
    answers = [copy.deepcopy(answer) for _ in range(3)]
    answers[1]["result"]["subjects"][0]["accountNumbers"] = 5
    answers[2]["result"]["requestId"] = {"id": 1}
    feed = {"nip": _nips(1)[0], "name": "FEED S.A.", "branches": 2, "as_of": "2026-10-01"}
    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "krs-odpisy.jsonl").write_text(
        "\n".join(json.dumps(d) for d in documents) + "\n", encoding="utf-8"
    )
    (folder / "whitelist-answers.json").write_text(json.dumps(answers), encoding="utf-8")
    (folder / "firmographics.jsonl").write_text(
        f"{json.dumps(feed)}\n{json.dumps(feed | {'branches': 2**63})}\n", encoding="utf-8"
    )
    summary = run_registry(registry_files(folder), tmp_path)

    assert summary.tables["krs_extracts"] == 2
    assert query_registry(
        tmp_path, "select share_capital_pln from raw_company_registry.krs_extracts order by krs"
    ) == [(125000.0,), (1234567.89,)]
    assert summary.tables["vat_whitelist_subjects"] == len(answer["result"]["subjects"])
    assert summary.tables["firmographics"] == 1
    reasons = query_registry(
        tmp_path,
        "select resource, line_number, reason from raw_company_registry.quarantine order by 1, 2",
    )
    assert reasons == [
        ("firmographics", 2, f"wrong type: branches must be an integer, got {2**63}"),
        ("krs_extracts", 2, "wrong type: nazwa must be text, got ['A', 'B']"),
        ("krs_extracts", 3, "invalid date in dataRejestracjiWKRS: '31.02.2020'"),
        ("krs_extracts", 4, "invalid amount in wysokoscKapitaluZakladowego: '1e400'"),
        ("krs_extracts", 5, "invalid amount in wysokoscKapitaluZakladowego: 'nan'"),
        ("vat_whitelist_subjects", 2, "wrong type: accountNumbers must be a list, got 5"),
        ("vat_whitelist_subjects", 3, "wrong type: requestId must be text, got {'id': 1}"),
    ]
