"""Parsers for the registry formats Leadhouse reads, each into flat rows of its own table.

- firmographics feed, ``firmographics*.jsonl/.json`` -> firmographics (nip)
- purchased firmographics, ``firmographics*.csv`` -> purchased_firmographics (nip)
- KRS current extract (``OdpisAktualny`` JSON), ``krs*.json/.jsonl`` -> krs_extracts (krs)
- GUS REGON BIR 1.1 full report (``<root><dane>`` XML), ``bir*.xml`` -> regon_reports (regon)
- VAT White List answers (``result.subject(s)``), ``whitelist*.json`` ->
  vat_whitelist_subjects (proof_id = requestId:nip)
- UK Companies House company profiles, ``companies_house*.json/.jsonl`` ->
  companies_house_profiles (company_number)

Board members and officers are personal data: KRS representation is only loaded (into
``krs_officers``) when the source is configured with ``load_officers=True``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import orjson

from ingestion.common import (
    LandingFile,
    Reject,
    batched,
    csv_records,
    json_lines,
    type_problem,
    without_bom,
)
from leadhouse import taxids


class RecordProblem(ValueError):
    """A value a record cannot be loaded with; the message is the quarantine reason."""


def _clean(value: Any, field: str = "value") -> str | None:
    """A scalar as trimmed text (a number as its digits), None when empty. An object, a
    list or true/false has no text form: ``RecordProblem`` (it was stored as its Python
    form, e.g. "['A', 'B']")."""
    if type(value) is str:  # nearly every value: the checks below cost a third of a parse
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, dict | list | bool):
        raise RecordProblem(f"wrong type: {field} must be text, got {value!r}")
    text = str(value).strip()
    return text or None


def _digits(value: Any, field: str = "value") -> str | None:
    text = _clean(value, field)
    return text.replace("-", "").replace(" ", "") if text else None


def identifier_problem(nip: Any = None, regon: Any = None, krs: Any = None) -> str | None:
    """Why a record's identifiers are unusable, or None. Absent identifiers are fine."""
    checks = (
        (nip, taxids.is_valid_nip, "invalid NIP check digit"),
        (regon, taxids.is_valid_regon, "invalid REGON check digit"),
        (krs, taxids.is_valid_krs, "invalid KRS number"),
    )
    for value, is_valid, reason in checks:
        if value is None:
            continue
        digits = _digits(value)
        if digits and not is_valid(digits):
            return f"{reason}: {value}"
    return None


def _polish_date(value: Any, field: str = "date") -> str | None:
    """KRS writes dates as DD.MM.YYYY (ISO dates are taken too)."""
    text = _clean(value, field)
    if not text:
        return None
    for parse in (_dotted_date, date.fromisoformat):
        try:
            return parse(text).isoformat()
        except ValueError:
            continue
    raise RecordProblem(f"invalid date in {field}: {text!r}")


def _ascii_number(text: str) -> int:
    """``int`` of digits only (``int`` itself also takes signs, spaces and ``_``, which
    ``strptime`` refuses). Callers pass ASCII text: ``strptime`` reads other scripts'
    digits, so such text is left to it."""
    if not text.isdigit():
        raise ValueError(f"not digits: {text!r}")
    return int(text)


def _dotted_date(text: str) -> date:
    """``DD.MM.YYYY`` as ``strptime(text, "%d.%m.%Y")`` reads it, which is slow (an eighth
    of the registry's parse): the usual zero-padded ASCII form is read by position (the
    same dates pass and fail), any other (``1.2.2020``) by ``strptime``."""
    if len(text) == 10 and text[2] == "." and text[5] == "." and text.isascii():
        return date(_ascii_number(text[6:]), _ascii_number(text[3:5]), _ascii_number(text[:2]))
    return datetime.strptime(text, "%d.%m.%Y").date()


# An amount as KRS writes it: digits, spaces between thousands, a decimal comma or point.
_AMOUNT = re.compile(r"-?\d[\d ]*([.,]\d+)?")


def _amount(value: Any, field: str = "amount") -> float | None:
    """A KRS amount ("50 000,00") as a number; anything else (text that Python's float
    reads as infinity or not-a-number, "1e400") is ``RecordProblem``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise RecordProblem(f"invalid amount in {field}: {value!r}")
        return float(value)
    text = _clean(value, field)
    if not text:
        return None
    if not _AMOUNT.fullmatch(text):
        raise RecordProblem(f"invalid amount in {field}: {text!r}")
    amount = float(text.replace(" ", "").replace(",", "."))
    if not math.isfinite(amount):
        raise RecordProblem(f"invalid amount in {field}: {text!r}")
    return amount


def _documents(
    path: LandingFile, resource: str, rejects: list[Reject]
) -> Iterator[tuple[int, Any]]:
    """JSON documents in a file: one per line (.jsonl) or one/list per file (.json)."""
    if path.suffix == ".jsonl":
        with path.open("rb") as handle:
            lines = json_lines(enumerate(handle, start=1), resource, path.name, rejects)
            yield from ((number, document) for number, document, _ in lines)
        return
    try:
        parsed = orjson.loads(without_bom(path.read_bytes()))
    except orjson.JSONDecodeError as error:
        rejects.append(Reject(resource, path.name, None, f"malformed JSON file: {error}", None))
        return
    yield from enumerate(parsed if isinstance(parsed, list) else [parsed], start=1)


# -- KRS OdpisAktualny ----------------------------------------------------------------------
def krs_extract_row(document: dict[str, Any]) -> dict[str, Any]:
    extract = document["odpis"]
    header = extract.get("naglowekA") or {}
    data = extract.get("dane") or {}
    section1 = data.get("dzial1") or {}
    entity = section1.get("danePodmiotu") or {}
    identifiers = entity.get("identyfikatory") or {}
    capital = ((section1.get("kapital") or {}).get("wysokoscKapitaluZakladowego")) or {}
    address = ((section1.get("siedzibaIAdres") or {}).get("adres")) or {}
    activity = ((data.get("dzial3") or {}).get("przedmiotDzialalnosci")) or {}
    main = (activity.get("przedmiotPrzewazajacejDzialalnosci") or [{}])[0]
    pkd = (
        f"{main.get('kodDzial')}.{main.get('kodKlasa')}.{main.get('kodPodklasa')}"
        if main.get("kodDzial")
        else None
    )
    section6 = data.get("dzial6") or {}
    return {
        "krs": _digits(header.get("numerKRS"), "numerKRS"),
        "nip": _digits(identifiers.get("nip"), "nip"),
        "regon": _digits(identifiers.get("regon"), "regon"),
        "name": _clean(entity.get("nazwa"), "nazwa"),
        "legal_form": _clean(entity.get("formaPrawna"), "formaPrawna"),
        "registration_date": _polish_date(header.get("dataRejestracjiWKRS"), "dataRejestracjiWKRS"),
        "share_capital_pln": _amount(capital.get("wartosc"), "wysokoscKapitaluZakladowego"),
        "share_capital_currency": _clean(capital.get("waluta"), "waluta"),
        "pkd_main": pkd,
        "city": _clean(address.get("miejscowosc"), "miejscowosc"),
        "is_in_liquidation": bool(section6.get("likwidacja")),
        "is_in_bankruptcy": bool(section6.get("postepowanieUpadlosciowe")),
        "extract_as_of": _polish_date(header.get("stanZDnia"), "stanZDnia"),
    }


def krs_officer_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    extract = document["odpis"]
    krs = _digits((extract.get("naglowekA") or {}).get("numerKRS"))
    representation = ((extract.get("dane") or {}).get("dzial2") or {}).get("reprezentacja") or {}
    rows = []
    for member in representation.get("sklad") or []:
        rows.append(
            {
                "krs": krs,
                "first_names": _clean((member.get("imiona") or {}).get("imie"), "imie"),
                "last_name": _clean(
                    (member.get("nazwisko") or {}).get("nazwiskoICzlon"), "nazwiskoICzlon"
                ),
                "role": _clean(member.get("funkcjaWOrganie"), "funkcjaWOrganie"),
            }
        )
    return rows


def parse_krs(load_officers: bool, officers: list[dict[str, Any]]) -> Any:
    def parse(path: LandingFile, rejects: list[Reject]) -> Iterator[list[dict[str, Any]]]:
        def rows() -> Iterator[dict[str, Any]]:
            for number, document in _documents(path, "krs_extracts", rejects):
                try:
                    row = krs_extract_row(document)
                    members = krs_officer_rows(document) if load_officers else []
                except RecordProblem as wrong:
                    rejects.append(
                        Reject(
                            "krs_extracts", path.name, number, str(wrong), orjson.dumps(document)
                        )
                    )
                    continue
                except (KeyError, TypeError, AttributeError, ValueError, IndexError) as error:
                    rejects.append(
                        Reject(
                            "krs_extracts",
                            path.name,
                            number,
                            f"not a KRS OdpisAktualny document: {error!r}",
                            orjson.dumps(document),
                        )
                    )
                    continue
                problem = (
                    "missing numerKRS"
                    if not row["krs"]
                    else identifier_problem(row["nip"], row["regon"], row["krs"])
                )
                if problem:
                    rejects.append(
                        Reject("krs_extracts", path.name, number, problem, orjson.dumps(document))
                    )
                    continue
                officers.extend(members)
                yield row

        yield from batched(rows())

    return parse


# -- GUS REGON BIR 1.1 ----------------------------------------------------------------------
_BIR_FIELDS = {
    # BIR11OsPrawna report fields (legal persons); praw_ is the report's prefix.
    "praw_regon9": "regon",
    "praw_regon14": "regon",
    "praw_nip": "nip",
    "praw_nazwa": "name",
    "praw_dataRozpoczeciaDzialalnosci": "activity_started_on",
    "praw_dataZakonczeniaDzialalnosci": "activity_ended_on",
    "praw_podstawowaFormaPrawna_Nazwa": "basic_legal_form",
    "praw_szczegolnaFormaPrawna_Nazwa": "specific_legal_form",
    "praw_adSiedzMiejscowosc_Nazwa": "city",
    "praw_numerWRejestrzeEwidencji": "register_number",
}


def parse_bir(path: LandingFile, rejects: list[Reject]) -> Iterator[list[dict[str, Any]]]:
    """REGON reports, one per ``dane`` element, read as the file streams in. A file that
    is cut off or malformed part-way keeps the reports completed before the fault, and
    the fault is quarantined with its line."""

    def rows() -> Iterator[dict[str, Any]]:
        number = 0
        with path.open("rb") as handle:
            try:
                for _, element in ElementTree.iterparse(handle, events=("end",)):
                    if element.tag != "dane":
                        continue
                    number += 1
                    row, reason = _bir_row(element)
                    if reason:
                        payload = ElementTree.tostring(element, encoding="unicode")
                        rejects.append(Reject("regon_reports", path.name, number, reason, payload))
                    element.clear()  # read reports are not kept in memory
                    if row is not None:
                        yield row
            except ElementTree.ParseError as error:
                line = error.position[0] if error.position else None
                reason = f"malformed XML: {error} (reports before it were read)"
                rejects.append(Reject("regon_reports", path.name, line, reason, None))

    yield from batched(rows())


def _bir_row(element: ElementTree.Element) -> tuple[dict[str, Any] | None, str | None]:
    """A report's row, or why it is rejected."""
    fields: dict[str, str | None] = {child.tag: _clean(child.text) for child in element}
    row: dict[str, Any] = {column: None for column in set(_BIR_FIELDS.values())}
    for tag, column in _BIR_FIELDS.items():
        if fields.get(tag):
            row[column] = fields[tag]
    row["regon"] = _digits(row["regon"])
    row["nip"] = _digits(row["nip"])
    reason: str | None
    if fields.get("ErrorCode"):
        reason = f"BIR error {fields['ErrorCode']}: {fields.get('ErrorMessagePl', '')}"
    elif not row["regon"]:
        reason = "missing REGON"
    else:
        reason = identifier_problem(row["nip"], row["regon"])
    return (None, reason) if reason else (row, None)


# -- VAT White List -------------------------------------------------------------------------
def _request_time(value: Any) -> str | None:
    """The White List answers with ``DD-MM-YYYY HH:MM:SS`` (Polish time); kept as ISO text."""
    text = _clean(value, "requestDateTime")
    if not text:
        return None
    try:
        return _request_datetime(text).isoformat()
    except ValueError:
        return text


def _request_datetime(text: str) -> datetime:
    """``strptime(text, "%d-%m-%Y %H:%M:%S")``, the zero-padded ASCII form read by
    position (as ``_dotted_date``)."""
    if (
        len(text) == 19
        and text.isascii()
        and text[2] == text[5] == "-"
        and text[10] == " "
        and text[13] == text[16] == ":"
    ):
        return datetime(
            _ascii_number(text[6:10]),
            _ascii_number(text[3:5]),
            _ascii_number(text[:2]),
            _ascii_number(text[11:13]),
            _ascii_number(text[14:16]),
            _ascii_number(text[17:]),
        )
    return datetime.strptime(text, "%d-%m-%Y %H:%M:%S")


def whitelist_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of one White List answer; the requestId is the proof of the check."""
    result = body["result"]
    subjects = result.get("subjects")
    if subjects is None:
        subjects = [result["subject"]] if result.get("subject") else []
    request_id = result["requestId"]
    if not isinstance(request_id, str) or not request_id.strip():
        raise RecordProblem(f"wrong type: requestId must be text, got {request_id!r}")
    rows = []
    for subject in subjects:
        nip = _digits(subject.get("nip"), "nip")
        accounts = subject.get("accountNumbers") or []
        if not isinstance(accounts, list):
            raise RecordProblem(f"wrong type: accountNumbers must be a list, got {accounts!r}")
        rows.append(
            {
                "proof_id": f"{request_id}:{nip}",
                "request_id": request_id,
                "requested_at": _request_time(result.get("requestDateTime")),
                "nip": nip,
                "regon": _digits(subject.get("regon"), "regon"),
                "krs": _digits(subject.get("krs"), "krs"),
                "name": _clean(subject.get("name"), "name"),
                "vat_status": _clean(subject.get("statusVat"), "statusVat"),
                "registration_legal_date": _clean(
                    subject.get("registrationLegalDate"), "registrationLegalDate"
                ),
                "removal_date": _clean(subject.get("removalDate"), "removalDate"),
                "working_address": _clean(subject.get("workingAddress"), "workingAddress"),
                "bank_account_count": len(accounts),
            }
        )
    return rows


def parse_whitelist(path: LandingFile, rejects: list[Reject]) -> Iterator[list[dict[str, Any]]]:
    def rows() -> Iterator[dict[str, Any]]:
        for number, body in _documents(path, "vat_whitelist_subjects", rejects):
            try:
                parsed = whitelist_rows(body)
            except RecordProblem as wrong:
                rejects.append(
                    Reject(
                        "vat_whitelist_subjects",
                        path.name,
                        number,
                        str(wrong),
                        orjson.dumps(body),
                    )
                )
                continue
            except (KeyError, TypeError, AttributeError) as error:
                rejects.append(
                    Reject(
                        "vat_whitelist_subjects",
                        path.name,
                        number,
                        f"not a White List answer: {error!r}",
                        orjson.dumps(body),
                    )
                )
                continue
            for row in parsed:
                problem = identifier_problem(row["nip"], row["regon"], row["krs"])
                if problem:
                    rejects.append(
                        Reject(
                            "vat_whitelist_subjects", path.name, number, problem, orjson.dumps(row)
                        )
                    )
                    continue
                yield row

    yield from batched(rows())


# -- Companies House ------------------------------------------------------------------------
def parse_companies_house(
    path: LandingFile, rejects: list[Reject]
) -> Iterator[list[dict[str, Any]]]:
    def rows() -> Iterator[dict[str, Any]]:
        for number, profile in _documents(path, "companies_house_profiles", rejects):
            problem = companies_house_problem(profile)
            if problem:
                payload = orjson.dumps(profile)
                rejects.append(
                    Reject("companies_house_profiles", path.name, number, problem, payload)
                )
                continue
            office = profile.get("registered_office_address") or {}
            yield {
                "company_number": _clean(profile["company_number"]),
                "company_name": _clean(profile.get("company_name")),
                "company_status": _clean(profile.get("company_status")),
                "company_type": _clean(profile.get("type")),
                "date_of_creation": _clean(profile.get("date_of_creation")),
                "date_of_cessation": _clean(profile.get("date_of_cessation")),
                "sic_codes": ",".join(profile.get("sic_codes") or []) or None,
                "has_insolvency_history": bool(profile.get("has_insolvency_history")),
                "jurisdiction": _clean(profile.get("jurisdiction")),
                "locality": _clean(office.get("locality")),
                "postal_code": _clean(office.get("postal_code")),
            }

    yield from batched(rows())


_COMPANIES_HOUSE_TEXTS = (
    "company_number",
    "company_name",
    "company_status",
    "type",
    "date_of_creation",
    "date_of_cessation",
    "jurisdiction",
)


def companies_house_problem(profile: Any) -> str | None:
    """Why a Companies House profile cannot be loaded, or None: a value of another type
    than the API's (a number for the company number, which would lose its leading
    zeros; a text for ``has_insolvency_history``) is quarantined, never coerced."""
    if not isinstance(profile, dict):
        return "not a JSON object"
    number = profile.get("company_number")
    if number is None or (isinstance(number, str) and not number.strip()):
        return "missing company_number"
    for key in _COMPANIES_HOUSE_TEXTS:
        problem = type_problem(key, profile.get(key), "text")
        if problem:
            return problem
    problem = type_problem("has_insolvency_history", profile.get("has_insolvency_history"), "bool")
    if problem:
        return problem
    codes = profile.get("sic_codes")
    if codes is not None and not (
        isinstance(codes, list) and all(isinstance(code, str) for code in codes)
    ):
        return f"wrong type: sic_codes must be a list of texts, got {codes!r}"
    office = profile.get("registered_office_address")
    if office is None:
        return None
    if not isinstance(office, dict):
        return f"wrong type: registered_office_address must be an object, got {office!r}"
    for key in ("locality", "postal_code"):
        problem = type_problem(f"registered_office_address.{key}", office.get(key), "text")
        if problem:
            return problem
    return None


# -- purchased firmographics (CSV) ----------------------------------------------------------
_FIRMOGRAPHIC_INTEGERS = ("share_capital_pln", "branches")


def parse_firmographics_csv(check: Any) -> Any:
    """Purchased firmographics, one record per CSV row under a header row
    (``common.csv_records``: a row that is not UTF-8 or has more or fewer fields than the
    header is quarantined with its line; the rest of the file loads)."""

    def parse(path: LandingFile, rejects: list[Reject]) -> Iterator[list[dict[str, Any]]]:
        def reject(number: int, reason: str, payload: bytes) -> None:
            rejects.append(Reject("purchased_firmographics", path.name, number, reason, payload))

        def rows() -> Iterator[dict[str, Any]]:
            for number, raw in csv_records(path, "purchased_firmographics", rejects):
                record: dict[str, Any] = {k: _clean(v) for k, v in raw.items() if k}
                try:
                    for column in _FIRMOGRAPHIC_INTEGERS:
                        if record.get(column) is not None:
                            record[column] = int(record[column])
                except ValueError as error:
                    reject(number, f"wrong type: {error}", orjson.dumps(raw))
                    continue
                if record.get("in_liquidation") is not None:
                    record["in_liquidation"] = record["in_liquidation"].lower() in (
                        "true",
                        "1",
                        "yes",
                        "tak",
                    )
                reason = check(record)
                if reason:
                    reject(number, reason, orjson.dumps(raw))
                    continue
                yield record

        yield from batched(rows())

    return parse
