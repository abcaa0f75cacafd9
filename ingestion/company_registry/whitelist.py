"""A client for the Ministry of Finance VAT White List that enriches companies by NIP.

- At most 30 NIPs per ``/api/search/nips/{nips}`` call (the API's limit).
- Every answer is kept with its ``requestId``: the legal proof that the check was made.
- A NIP answered on the same day is not asked again (cache in dlt state, which lives in
  the warehouse with the data).
- A configurable daily request budget: when it is spent, the rest waits for tomorrow
  and the run reports how many NIPs are pending.
- Invalid NIPs are never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources.helpers.requests import Client

from ingestion.common import table_hints
from ingestion.company_registry.formats import whitelist_rows
from ingestion.company_registry.settings import (
    WHITELIST_BASE_URL,
    WHITELIST_DAILY_REQUEST_BUDGET,
    WHITELIST_MAX_NIPS_PER_REQUEST,
    column_hints,
)
from leadhouse import taxids


@dataclass
class WhitelistReport:
    requested: int = 0
    answered: int = 0
    cached: int = 0
    invalid: int = 0
    pending: int = 0
    requests: list[int] = field(default_factory=list)  # NIPs per request


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


@dlt.source(name="company_registry")
def vat_whitelist(
    nips: Iterable[str],
    base_url: str = WHITELIST_BASE_URL,
    daily_request_budget: int = WHITELIST_DAILY_REQUEST_BUDGET,
    batch_size: int = WHITELIST_MAX_NIPS_PER_REQUEST,
    request_max_attempts: int = 5,
    request_backoff_factor: float = 1.0,
    report: WhitelistReport | None = None,
) -> Any:
    if not 1 <= batch_size <= WHITELIST_MAX_NIPS_PER_REQUEST:
        raise ValueError(f"batch_size must be 1..{WHITELIST_MAX_NIPS_PER_REQUEST}")
    report = report if report is not None else WhitelistReport()
    session = Client(
        request_max_attempts=request_max_attempts,
        request_backoff_factor=request_backoff_factor,
        raise_for_status=False,
    ).session
    wanted = list(dict.fromkeys(nips))

    @dlt.resource(name="vat_whitelist_subjects")
    def subjects() -> Iterator[Any]:
        state = dlt.current.source_state().setdefault("vat_whitelist", {})
        today = _today()
        if state.get("day") != today:
            state.update({"day": today, "requests_used": 0})
        checked: dict[str, str] = state.setdefault("checked_on", {})
        to_ask = []
        for nip in wanted:
            if not taxids.is_valid_nip(nip):
                report.invalid += 1
            elif checked.get(nip) == today:
                report.cached += 1
            else:
                to_ask.append(nip)
        hints = table_hints(
            "vat_whitelist_subjects",
            "proof_id",
            column_hints("vat_whitelist_subjects", without="proof_id"),
        )
        for start in range(0, len(to_ask), batch_size):
            if state["requests_used"] >= daily_request_budget:
                report.pending = len(to_ask) - start
                break
            batch = to_ask[start : start + batch_size]
            response = session.get(
                f"{base_url}/api/search/nips/{','.join(batch)}", params={"date": today}
            )
            state["requests_used"] += 1
            response.raise_for_status()
            rows = whitelist_rows(response.json())
            report.requests.append(len(batch))
            report.requested += len(batch)
            report.answered += len(rows)
            for nip in batch:
                checked[nip] = today
            if rows:
                yield dlt.mark.with_hints(rows, hints, create_table_variant=True)

    return subjects
