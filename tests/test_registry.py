"""Registry formats (KRS, GUS BIR, White List, Companies House, purchased CSV) and the
VAT White List client against a local fake of the Ministry of Finance API."""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.company_registry import formats, registry_files
from ingestion.company_registry.whitelist import WhitelistReport, vat_whitelist
from leadhouse import taxids
from tests.registry_runs import query_registry, run_registry


@pytest.fixture()
def registry(dataset: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "registry"
    shutil.copytree(dataset / "company_registry", folder)
    profiles = [
        {
            "company_number": "01234567",
            "company_name": "ACME LOGISTICS LTD",
            "company_status": "active",
            "type": "ltd",
            "date_of_creation": "2001-04-03",
            "sic_codes": ["52103", "49410"],
            "has_insolvency_history": False,
            "jurisdiction": "england-wales",
            "registered_office_address": {"locality": "Leeds", "postal_code": "LS1 4AP"},
        },
        {"company_name": "NO NUMBER LTD"},
    ]
    (folder / "companies_house-profiles.jsonl").write_text(
        "\n".join(json.dumps(p) for p in profiles) + "\n", encoding="utf-8"
    )
    return folder


def test_every_format_loads_with_check_digits_enforced(registry: Path, tmp_path: Path) -> None:
    summary = run_registry(registry_files(registry), tmp_path)
    krs_docs = (registry / "krs-odpisy.jsonl").read_text(encoding="utf-8").splitlines()
    assert summary.tables["krs_extracts"] == len(krs_docs) - 1  # one bad KRS number
    bir = (registry / "bir-reports.xml").read_text(encoding="utf-8")
    assert summary.tables["regon_reports"] == bir.count("<praw_regon9>")
    answers = json.loads((registry / "whitelist-answers.json").read_text(encoding="utf-8"))
    subjects = sum(len(a["result"]["subjects"]) for a in answers)
    assert summary.tables["vat_whitelist_subjects"] == subjects
    assert summary.tables["companies_house_profiles"] == 1
    reasons = {
        reason.split(":")[0]
        for (reason,) in query_registry(
            tmp_path, "select reason from raw_company_registry.quarantine"
        )
    }
    assert {
        "invalid KRS number",
        "BIR error 4",
        "missing company_number",
        "wrong type",
        "invalid NIP check digit",
        "missing nip",
        "malformed JSON",
    } <= reasons
    rows = query_registry(
        tmp_path,
        "select nip, regon, krs, registration_date, share_capital_pln, pkd_main "
        "from raw_company_registry.krs_extracts",
    )
    assert all(taxids.is_valid_nip(r[0]) and taxids.is_valid_regon(r[1]) for r in rows)
    assert all(r[3] is not None and r[4] >= 0 and r[5].count(".") == 2 for r in rows)
    proofs = query_registry(
        tmp_path,
        "select count(distinct request_id) from raw_company_registry.vat_whitelist_subjects",
    )
    assert proofs == [(len(answers),)]
    csv_rows = (registry / "firmographics-purchased.csv").read_text().splitlines()
    assert summary.tables["purchased_firmographics"] == len(csv_rows) - 2  # header, bad row
    feed = query_registry(tmp_path, "select count(*) from raw_company_registry.firmographics")[0][0]
    assert feed > summary.tables["purchased_firmographics"], "vendors do not overwrite each other"


def test_board_members_are_personal_data_and_off_by_default(registry: Path, tmp_path: Path) -> None:
    run_registry(registry_files(registry), tmp_path / "default")
    tables = {
        t for (t,) in query_registry(tmp_path / "default", "select table_name from duckdb_tables()")
    }
    assert "krs_officers" not in tables
    run_registry(registry_files(registry, load_officers=True), tmp_path / "officers")
    officers = query_registry(
        tmp_path / "officers", "select count(*) from raw_company_registry.krs_officers"
    )
    extracts = query_registry(
        tmp_path / "officers", "select count(*) from raw_company_registry.krs_extracts"
    )
    assert officers == extracts


def test_wrong_types_are_quarantined_not_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "landing"
    folder.mkdir()
    good = {"nip": "5260250274", "name": "MINISTERSTWO", "branches": 2, "as_of": "2026-10-01"}
    bad = good | {"nip": "7740001454", "branches": "a lot"}
    (folder / "firmographics.jsonl").write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n")
    summary = run_registry(registry_files(folder), tmp_path)
    assert summary.tables["firmographics"] == 1 and summary.quarantined == 1
    (reason,) = query_registry(tmp_path, "select reason from raw_company_registry.quarantine")[0]
    assert reason == "wrong type: branches must be an integer, got 'a lot'"


class FakeWhiteList:
    """The MF White List search endpoint on loopback; it refuses more than 30 NIPs."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []
        self.throttle_next = True  # the first call is rate-limited once
        self.throttled = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                nips = path.rsplit("/", 1)[-1].split(",")
                if fake.throttle_next:
                    fake.throttle_next = False
                    fake.throttled += 1
                    self.send_response(429)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                fake.requests.append(nips)
                if not path.startswith("/api/search/nips/") or len(nips) > 30:
                    status, body = 400, {"code": "WL-113", "message": "too many NIPs"}
                else:
                    status, body = (
                        200,
                        {
                            "result": {
                                "subjects": [
                                    {
                                        "name": f"FIRMA {n}",
                                        "nip": n,
                                        "statusVat": "Czynny",
                                        "regon": None,
                                        "krs": None,
                                        "accountNumbers": [],
                                    }
                                    for n in nips
                                ],
                                "requestDateTime": "22-11-2026 10:00:00",
                                "requestId": f"req-{len(fake.requests)}",
                            }
                        },
                    )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def test_whitelist_client_batches_caches_and_respects_the_budget(tmp_path: Path) -> None:
    import random

    rng = random.Random(3)
    nips = [taxids.random_nip(rng) for _ in range(75)]
    invalid = [taxids.corrupt_check_digit(nips[0]), "123"]
    fake = FakeWhiteList()
    try:
        report = WhitelistReport()
        source = vat_whitelist(
            nips + invalid, base_url=fake.url, report=report, request_backoff_factor=0.01
        )
        run_registry(source, tmp_path)
        assert fake.throttled == 1, "a 429 was served and retried"
        assert [len(r) for r in fake.requests] == [30, 30, 15]
        assert not set(invalid) & {n for r in fake.requests for n in r}, "invalid NIPs never sent"
        assert report.invalid == 2 and report.answered == 75
        rows = query_registry(
            tmp_path,
            "select count(*), count(distinct request_id) "
            "from raw_company_registry.vat_whitelist_subjects",
        )
        assert rows == [(75, 3)]

        # Same day, same NIPs: answered from the cache, no request at all.
        report = WhitelistReport()
        run_registry(vat_whitelist(nips, base_url=fake.url, report=report), tmp_path)
        assert len(fake.requests) == 3 and report.cached == 75

        # New NIPs beyond today's budget wait, and the run says how many.
        more = [taxids.random_nip(rng) for _ in range(90)]
        report = WhitelistReport()
        run_registry(
            vat_whitelist(more, base_url=fake.url, daily_request_budget=4, report=report),
            tmp_path,
        )
        assert len(fake.requests) == 4 and report.requested == 30 and report.pending == 60
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def test_records_that_fit_the_declared_columns_load_as_arrow_and_others_as_before(
    tmp_path: Path,
) -> None:
    """Declared flat records reach dlt as Arrow tables (``FlatTables``); a batch with an
    undeclared key still goes as dicts, so dlt adds its column as before. Both kinds land
    in one table, merge on its key across runs and keep a non-null row key."""
    folder = tmp_path / "landing"
    folder.mkdir()
    base = {"name": "FIRMA", "branches": 2, "as_of": "2026-10-01", "registration_date": None}
    first = [base | {"nip": "5260250274"}, base | {"nip": "7740001454", "employees_exact": 120}]
    second = [base | {"nip": "1132853869", "in_liquidation": False}]
    (folder / "firmographics-a.jsonl").write_text("\n".join(map(json.dumps, first)) + "\n")
    (folder / "firmographics-b.jsonl").write_text("\n".join(map(json.dumps, second)) + "\n")
    run_registry(registry_files(folder), tmp_path)
    rows = query_registry(
        tmp_path,
        "select nip, employees_exact, branches, as_of, in_liquidation, _dlt_id "
        "from raw_company_registry.firmographics order by nip",
    )
    assert [r[:5] for r in rows] == [
        ("1132853869", None, 2, date(2026, 10, 1), False),
        ("5260250274", None, 2, date(2026, 10, 1), None),
        ("7740001454", 120, 2, date(2026, 10, 1), None),
    ]
    assert len({r[5] for r in rows}) == 3 and all(r[5] for r in rows)

    # A newer record for a NIP first loaded as a dict now arrives as Arrow: it replaces it.
    changed = base | {"nip": "7740001454", "branches": 5, "as_of": "2026-11-01"}
    (folder / "firmographics-c.jsonl").write_text(json.dumps(changed) + "\n")
    run_registry(registry_files(folder), tmp_path)
    assert query_registry(
        tmp_path,
        "select branches, as_of, employees_exact is null, _dlt_id is not null "
        "from raw_company_registry.firmographics where nip = '7740001454'",
    ) == [(5, date(2026, 11, 1), True, True)]
    assert query_registry(tmp_path, "select count(*) from raw_company_registry.firmographics") == [
        (3,)
    ]


def test_a_column_that_changes_its_data_type_stops_the_load(tmp_path: Path) -> None:
    """Schema contract (ingestion/common.py SCHEMA_CONTRACT): new columns evolve, a type
    change is refused rather than becoming a variant column."""
    folder = tmp_path / "landing"
    folder.mkdir()
    record = {"nip": "5260250274", "name": "FIRMA", "employees_exact": 120}
    (folder / "firmographics-a.jsonl").write_text(json.dumps(record) + "\n")
    run_registry(registry_files(folder), tmp_path)
    assert query_registry(
        tmp_path, "select employees_exact from raw_company_registry.firmographics"
    ) == [(120,)]
    changed = record | {"nip": "7740001454", "employees_exact": "about a hundred"}
    (folder / "firmographics-b.jsonl").write_text(json.dumps(changed) + "\n")
    with pytest.raises(PipelineStepFailed) as failure:
        run_registry(registry_files(folder), tmp_path)
    assert "employees_exact" in str(failure.value) and "freeze" in str(failure.value)
    assert query_registry(tmp_path, "select count(*) from raw_company_registry.firmographics") == [
        (1,)
    ]


def test_a_run_keeps_the_warehouse_file_open_between_its_load_jobs(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dlt connects for each phase and load job and closes after; when the last
    connection closes, DuckDB checkpoints and closes the file, and the next connection
    opens it again. run_source holds one connection for the whole run, so every later
    connection finds the file already open (one open, one checkpoint)."""
    database = (tmp_path / "w.duckdb").resolve()
    already_open: list[bool] = []
    connect = duckdb.connect

    def file_is_open() -> bool:
        fds = Path("/proc/self/fd")
        return any(os.path.realpath(fd) == str(database) for fd in (str(f) for f in fds.iterdir()))

    def watching_connect(database: Any = ":memory:", *args: Any, **kwargs: Any) -> Any:
        if Path(str(database)).resolve() == (tmp_path / "w.duckdb").resolve():
            already_open.append(file_is_open())
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", watching_connect)
    summary = run_registry(registry_files(registry), tmp_path)
    assert len(summary.tables) >= 7
    # A new warehouse (no suppression list to read): the held connection opens the file,
    # and every connection of dlt's phases and load jobs after it meets the open file.
    assert already_open[0] is False and len(already_open) > 3
    assert all(already_open[1:]), already_open


def _strptime_date(text: str) -> str:
    """How KRS dates were read before they were read by position: the reference."""
    for parse in (lambda t: datetime.strptime(t, "%d.%m.%Y").date(), date.fromisoformat):
        try:
            return parse(text).isoformat()
        except ValueError:
            continue
    return "RecordProblem"


@pytest.mark.parametrize(
    "text",
    [
        "01.02.2020",
        "1.2.2020",
        "01.2.2020",
        "29.02.2024",
        "29.02.2023",
        "31.04.2020",
        "00.01.2020",
        "01.13.2020",
        "01.00.2020",
        "01.02.0000",
        "+1.02.2020",
        "01.+2.2020",
        "01.02.+020",
        "1 .02.2020",
        "01.02.20201",
        "01.02.20",
        "ab.cd.efgh",
        "2020-01-02",
        "01-02-2020",
        "\u0661\u0662.\u0660\u0661.\u0662\u0660\u0662\u0660",  # Arabic-Indic digits
        "01.02.\uff12\uff10\uff12\uff10",  # full-width year
    ],
)
def test_krs_dates_read_by_position_pass_and_fail_as_strptime_read_them(text: str) -> None:
    try:
        read = formats._polish_date(text)
    except formats.RecordProblem:
        read = "RecordProblem"
    assert read == _strptime_date(text)


@pytest.mark.parametrize(
    "text",
    [
        "22-11-2026 10:00:00",
        "2-1-2026 1:2:3",
        "22-11-2026 10:00:60",
        "22-11-2026 24:00:00",
        "22-11-2026 23:60:00",
        "31-02-2026 10:00:00",
        "00-11-2026 10:00:00",
        "22-11-2026T10:00:00",
        "22-11-2026 +1:00:00",
        "22-11-2026 10:00:0x",
        "\u0662\u0662-11-2026 10:00:00",
    ],
)
def test_white_list_request_times_read_by_position_as_strptime_read_them(text: str) -> None:
    try:
        expected = datetime.strptime(text, "%d-%m-%Y %H:%M:%S").isoformat()
    except ValueError:
        expected = text  # kept as it came
    assert formats._request_time(text) == expected
