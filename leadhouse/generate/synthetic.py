"""Deterministic synthetic data in the shapes the real source systems produce.

- CRM: HubSpot CRM v3 objects, one JSON object per line (``crm/*.jsonl``).
- Web analytics: Segment-spec events, JSON lines (``web_analytics/*.jsonl``).
- E-mail: SendGrid Event Webhook batches, JSON arrays (``email/*.json``).
- Company registry: firmographic records keyed by NIP/REGON/KRS (``company_registry/``).
- ``_truth/people.csv``: the generator's ground truth (persona, ids, outcome), for tests;
  ``_truth/web_only_people.csv``: newsletter sign-ups known only on the web.

Everything comes from one ``random.Random(seed)`` consumed in a fixed order, so the same
arguments give byte-identical files. Web events are written with string templates rather
than ``json.dumps`` per event: that is what keeps the generator above 100 k events/s.
"""

from __future__ import annotations

import bisect
import csv
import json
import random
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from leadhouse import taxids
from leadhouse.generate import catalog
from leadhouse.generate.catalog import PERSONAS, Persona

WEB_FILE_MAX_LINES = 200_000
# Product actions some personas take after identifying: (Segment track event, probability).
_ACTIONS = {
    "champion": ("Price Offer Requested", 0.5),
    "evaluator": ("Trial Started", 0.3),
    "webinar_only": ("Question Asked", 0.3),
}
EMAIL_BATCH_MAX_EVENTS = 5_000
DAY = 86_400


@dataclass
class GenerateStats:
    people: int
    seed: int
    end_date: str
    companies: int = 0
    crm_contacts: int = 0
    deals: int = 0
    web_events: int = 0
    email_events: int = 0
    registry_records: int = 0
    seconds: float = 0.0
    web_seconds: float = 0.0
    files: dict[str, int] = field(default_factory=dict)

    @property
    def web_events_per_second(self) -> float:
        return self.web_events / self.web_seconds if self.web_seconds else 0.0


@dataclass
class _Company:
    company_id: str
    name: str
    legal_form: str
    industry: str
    pkd: str
    revenue_band: int
    headcount_band: int
    domain: str
    nip: str
    regon: str
    krs: str | None
    registered_on: date
    share_capital: int
    branches: int
    vat_status: str | None
    in_liquidation: bool


@dataclass
class _Person:
    contact_id: str
    persona: Persona
    first_name: str
    last_name: str
    email: str
    title: str
    company: _Company | None
    anonymous_ids: list[str]
    merged_ids: list[str]
    consent: str  # granted | missing | withdrawn
    interest_level: int
    bant: tuple[bool, bool, bool, bool]
    lead_status: str
    created_at: int
    identified_at: int | None = None
    deal_outcome: str = "none"


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if not unicodedata.combining(c)).lower()


_DAY_PREFIX: dict[int, str] = {}
_TIME_OF_DAY = [
    f"T{h:02d}:{m:02d}:{sec:02d}." for h in range(24) for m in range(60) for sec in range(60)
]
_MILLIS = [f"{ms:03d}Z" for ms in range(1000)]


def _iso(ts: float) -> str:
    """ISO-8601 UTC with milliseconds, from lookup tables: strftime per event was the
    generator's hot spot."""
    seconds, ms = divmod(int(ts * 1000), 1000)
    day, second_of_day = divmod(seconds, DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = time.strftime("%Y-%m-%d", time.gmtime(day * DAY))
    return prefix + _TIME_OF_DAY[second_of_day] + _MILLIS[ms]


def _hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


@dataclass(frozen=True)
class Volumes:
    """Traffic mix beyond the people themselves. The defaults are the tests' data set; the
    benchmark raises anonymous traffic and lowers e-mail sends to reach its event counts."""

    anonymous_visitors_per_person: float = 0.4
    email_sends: int = 8


class _Generator:
    def __init__(
        self, out: Path, people: int, seed: int, end: date, days: int, volumes: Volumes
    ) -> None:
        self.out = out
        self.volumes = volumes
        self.rng = random.Random(seed)
        # UK companies come from their own stream, so adding them changed nothing else.
        self.uk_rng = random.Random(seed * 7919 + 1)
        self.uk_companies: list[dict] = []
        # Draws that replace a repeated registry number: their own stream as well.
        self.tax_id_rng = random.Random(seed * 7919 + 3)
        self._tax_ids: dict[str, set[str]] = {}
        # Newsletter sign-ups known only on the web: also their own stream.
        self.web_only_rng = random.Random(seed * 7919 + 2)
        self.web_only: list[tuple[str, str, bool]] = []  # e-mail, anonymousId, role mailbox
        self._consent_lines: list[str] = []
        self.n_people = people
        self.end_ts = datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()
        self.start_ts = self.end_ts - days * DAY
        self.stats = GenerateStats(people=people, seed=seed, end_date=end.isoformat())
        self.companies: list[_Company] = []
        self.people: list[_Person] = []
        self.owners = [str(70_000 + i) for i in range(5)]
        self._pickers: dict[str, tuple[list[float], list[tuple[str, str]]]] = {}
        self._web: list[str] = []
        self._page_tails: dict[tuple[str, tuple[str, str, str] | None], str] = {}
        self._late: list[str] = []

    # -- companies -------------------------------------------------------------------------
    def make_companies(self) -> None:
        rng = self.rng
        industries = list(catalog.PKD_BY_INDUSTRY)
        weights = [0.4, 0.12, 0.15, 0.13, 0.12, 0.08]
        n = max(30, self.n_people // 3)
        used_domains: set[str] = set()
        for i in range(n):
            industry = rng.choices(industries, weights)[0]
            self.companies.append(self._company(5001 + i, industry, used_domains))
        for i, domain in enumerate(catalog.COMPETITOR_DOMAINS):
            company = self._company(4001 + i, "software", used_domains)
            company.domain = domain
            self.companies.append(company)
        self._make_uk_companies(n)
        self.stats.companies = len(self.companies) + len(self.uk_companies)

    def _make_uk_companies(self, n: int) -> None:
        """A few UK accounts, known by their Companies House number (no Polish tax ids)."""
        rng = self.uk_rng
        statuses = ["active"] * 8 + ["liquidation", "dissolved"]
        for i in range(max(3, n // 40)):
            stem = rng.choice(catalog.NAME_STEMS) + rng.choice(catalog.NAME_TAILS)
            status = statuses[i % len(statuses)]
            created = date(1985, 1, 1) + timedelta(days=rng.randint(0, 13_000))
            self.uk_companies.append(
                {
                    "company_id": str(5001 + n + i),  # after the Polish ids (5001 …)
                    "company_number": f"{rng.randint(1, 14_999_999):08d}",
                    "company_name": f"{_ascii(stem).upper()} LIMITED",
                    "domain": _ascii(stem) + ".co.uk",
                    "company_status": status,
                    "type": "ltd",
                    "date_of_creation": created.isoformat(),
                    "date_of_cessation": "2025-06-30" if status == "dissolved" else None,
                    "sic_codes": [rng.choice(("52103", "46690", "28220", "49410", "62020"))],
                    "has_insolvency_history": status == "liquidation",
                    "jurisdiction": "england-wales",
                    "registered_office_address": {
                        "locality": rng.choice(("London", "Leeds", "Manchester")),
                        "postal_code": "EC1A 1BB",
                    },
                }
            )

    def _company(self, number: int, industry: str, used: set[str]) -> _Company:
        rng = self.rng
        stem = rng.choice(catalog.NAME_STEMS) + rng.choice(catalog.NAME_TAILS)
        domain = _ascii(stem) + ".pl"
        attempts = 0
        while domain in used:
            attempts += 1
            # Large data sets run out of short suffixes: the company number is unique.
            suffix = str(rng.randint(2, 99)) if attempts <= 20 else str(number)
            domain = _ascii(stem) + suffix + ".pl"
        used.add(domain)
        long_form, short_form = rng.choices(catalog.LEGAL_FORMS, (0.6, 0.15, 0.1, 0.15))[0]
        in_liquidation = rng.random() < 0.03
        name = f"{stem.upper()} {short_form}".strip()
        if in_liquidation:
            name += " W LIKWIDACJI"
        if industry == "manufacturing":
            revenue = rng.choices(range(5), (0.15, 0.25, 0.3, 0.2, 0.1))[0]
        else:
            revenue = rng.choices(range(5), (0.35, 0.3, 0.2, 0.1, 0.05))[0]
        headcount = max(0, min(4, revenue + rng.choice((-1, 0, 0, 1))))
        sole_trader = short_form == ""
        return _Company(
            company_id=str(number),
            name=name,
            legal_form=long_form,
            industry=industry,
            pkd=rng.choice(catalog.PKD_BY_INDUSTRY[industry]),
            revenue_band=revenue,
            headcount_band=headcount,
            domain=domain,
            nip=self._unique("nip", taxids.random_nip),
            regon=self._unique("regon", taxids.random_regon),
            krs=None if sole_trader else self._unique("krs", taxids.random_krs),
            registered_on=date(1991, 1, 1) + timedelta(days=rng.randint(0, 12_000)),
            share_capital=0 if sole_trader else rng.choice((5_000, 50_000, 500_000, 5_000_000)),
            branches=rng.choices((0, 1, 2, 5, 12), (0.4, 0.25, 0.15, 0.12, 0.08))[0],
            vat_status=rng.choices(("Czynny", "Zwolniony", None), (0.88, 0.08, 0.04))[0],
            in_liquidation=in_liquidation,
        )

    def _unique(self, kind: str, draw: Callable[[random.Random], str]) -> str:
        """A registry number no other company has: a registry number belongs to one
        entity, but random draws repeat at large scales (KRS numbers are drawn from a
        million). Draws after a repeat come from their own stream, so a repeat changes
        nothing else in the data."""
        used = self._tax_ids.setdefault(kind, set())
        drawn = draw(self.rng)
        while drawn in used:
            drawn = draw(self.tax_id_rng)
        used.add(drawn)
        return drawn

    def _pick_company(self, persona: Persona) -> _Company | None:
        if persona.free_mail:
            return None
        if persona.competitor:
            return self.companies[-1 - self.rng.randint(0, len(catalog.COMPETITOR_DOMAINS) - 1)]
        candidates = self._by_persona.get(persona.name) or self.companies
        return self.rng.choice(candidates)

    # -- people ----------------------------------------------------------------------------
    def make_people(self) -> None:
        rng = self.rng
        regular = self.companies[: -len(catalog.COMPETITOR_DOMAINS)]
        self._by_persona = {
            p.name: [
                c
                for c in regular
                if c.industry in p.industries
                and c.revenue_band >= p.min_revenue_band
                and not c.in_liquidation
            ]
            for p in PERSONAS
        }
        shares = [p.share for p in PERSONAS]
        merged_base, chained_base = merged_id_bases(self.n_people)
        for i in range(self.n_people):
            persona = rng.choices(PERSONAS, shares)[0]
            first = rng.choice(catalog.FIRST_NAMES)
            last = rng.choice(catalog.LAST_NAMES)
            company = self._pick_company(persona)
            local = f"{_ascii(first)}.{_ascii(last)}{i}"
            domain = company.domain if company else rng.choice(catalog.FREE_MAIL_DOMAINS)
            contact_id = str(1001 + i)
            merged: list[str] = []
            roll = rng.random()
            if roll < 0.04:
                merged.append(str(merged_base + i))
            if roll < 0.01:
                merged.append(str(chained_base + i))  # chained: merged twice
            consent_roll = rng.random()
            consent = (
                "granted"
                if consent_roll < 0.9
                else "missing"
                if consent_roll < 0.97
                else "withdrawn"
            )
            anonymous = [_hex(rng, 128)]
            if rng.random() < 0.2:
                anonymous.append(_hex(rng, 128))
            created = self.start_ts + rng.random() * (self.end_ts - self.start_ts) * 0.7
            self.people.append(
                _Person(
                    contact_id=contact_id,
                    persona=persona,
                    first_name=first,
                    last_name=last,
                    email=f"{local}@{domain}",
                    title=rng.choice(persona.titles),
                    company=company,
                    anonymous_ids=anonymous,
                    merged_ids=merged,
                    consent=consent,
                    interest_level=rng.choice(persona.interest_levels),
                    bant=tuple(rng.random() < persona.bant_yes for _ in range(4)),  # type: ignore[arg-type]
                    lead_status=rng.choice(persona.lead_status),
                    created_at=int(created),
                )
            )
        self.stats.crm_contacts = len(self.people)

    # -- web analytics ---------------------------------------------------------------------
    def write_web(self) -> None:
        out = self.out / "web_analytics"
        out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self._web = []
        file_no = 0

        def flush() -> None:
            nonlocal file_no
            if not self._web:
                return
            file_no += 1
            path = out / f"segment-events-{file_no:04d}.jsonl"
            # Web lines are pure ASCII (non-ASCII text is \u-escaped, valid JSON as well),
            # which keeps joining and encoding on CPython's fast path.
            path.write_bytes(("\n".join(self._web) + "\n").encode("ascii"))
            self._web = []

        for person in self.people:
            self._person_web_events(person)
            if len(self._web) >= WEB_FILE_MAX_LINES:
                flush()
        for _ in range(int(self.n_people * self.volumes.anonymous_visitors_per_person)):
            self._anonymous_visitor()
            if len(self._web) >= WEB_FILE_MAX_LINES:
                flush()
        flush()
        self._write_web_only_people(out)
        self.stats.web_events += len(self._consent_lines)
        (out / "segment-events-0000-consent.jsonl").write_bytes(
            ("\n".join(self._consent_lines) + "\n").encode("ascii")
        )
        if self._late:
            # Events from devices that were offline: delivered in a batch after the others.
            late = out / "segment-events-late.jsonl"
            late.write_bytes(("\n".join(self._late) + "\n").encode("ascii"))
            file_no += 1
        self.stats.files["web_analytics"] = file_no + 2  # + newsletter sign-ups, consent
        self.stats.web_seconds = time.perf_counter() - started

    def _session_starts(self, person: Persona, count: int) -> list[float]:
        rng = self.rng
        span = self.end_ts - self.start_ts
        if person.name == "not_now":
            # Interested once, months ago: their score must have decayed by now.
            lo, hi = self.start_ts, self.start_ts + span * 0.35
        elif person.name == "champion":
            lo, hi = self.end_ts - span * 0.3, self.end_ts - 3600
        else:
            lo, hi = self.start_ts, self.end_ts - 3600
        return sorted(lo + rng.random() * (hi - lo) for _ in range(count))

    def _page_picker(self, persona: Persona) -> tuple[list[float], list[tuple[str, str]]]:
        """Cumulative weights over every page a persona reads: one bisect per page view."""
        cached = self._pickers.get(persona.name)
        if cached is None:
            cumulative, pages, total = [], [], 0.0
            for family, weight in persona.page_mix.items():
                family_pages = catalog.PAGES[family]
                for page in family_pages:
                    total += weight / len(family_pages)
                    cumulative.append(total)
                    pages.append(page)
            cached = self._pickers[persona.name] = ([c / total for c in cumulative], pages)
        return cached

    def _person_web_events(self, person: _Person) -> None:
        rng = self.rng
        persona = person.persona
        n_sessions = rng.randint(*persona.sessions)
        if n_sessions == 0:
            return
        starts = self._session_starts(persona, n_sessions)
        identify_session = rng.randint(0, n_sessions - 1)
        cumulative, pages = self._page_picker(persona)
        last = len(pages) - 1
        user_id = "null"
        banner_seen: set[str] = set()
        for s, start in enumerate(starts):
            anonymous_id = rng.choice(person.anonymous_ids)
            if anonymous_id not in banner_seen:
                banner_seen.add(anonymous_id)
                self._cookie_banner(person, anonymous_id, start - 2)
            campaign = rng.choice(catalog.CAMPAIGNS) if rng.random() < 0.3 else None
            ts = start
            for _ in range(rng.randint(*persona.pages_per_session)):
                path, title = pages[min(bisect.bisect(cumulative, rng.random()), last)]
                self._emit(self._page(anonymous_id, user_id, ts, path, title, campaign))
                ts += 15 + 385 * rng.random()
            if s == identify_session:
                person.identified_at = int(ts)
                # Before the CRM merge the web app knew the person by the old contact id.
                known_as = person.merged_ids[0] if person.merged_ids else person.contact_id
                with_user_id = rng.random() < 0.7
                user_id = f'"{known_as}"' if with_user_id else "null"
                self._emit(self._form_submit(person, anonymous_id, user_id, ts))
                self._emit(self._identify(person, anonymous_id, user_id, ts + 1))
                if person.company is not None and rng.random() < 0.5:
                    self._emit(self._group(person, anonymous_id, user_id, ts + 2))
                action = _ACTIONS.get(persona.name)
                if action is not None and rng.random() < action[1]:
                    self._emit(self._action(action[0], anonymous_id, user_id, ts + 3))

    def _cookie_banner(self, person: _Person, anonymous_id: str, ts: float) -> None:
        """The consent manager's answer on a device's first visit (Segment Consent
        Management): analytics (profiling) allowed by people who also consented in the CRM.
        Message ids come from a separate stream, so the rest of the data set is unchanged."""
        allowed = person.consent != "missing"
        preferences = {"Analytics": allowed, "Advertising": allowed, "Functional": True}
        sent = _iso(ts)
        self._consent_lines.append(
            f'{{"type":"track","event":"Segment Consent Preference Updated",'
            f'"messageId":"cm-{self.web_only_rng.getrandbits(96):024x}",'
            f'"anonymousId":"{anonymous_id}","userId":null,"timestamp":"{sent}",'
            f'"sentAt":"{sent}","receivedAt":"{sent}",'
            f'"properties":{{"policyVersion":"cookies-2026-01"}},'
            f'"context":{{"consent":{{"categoryPreferences":{json.dumps(preferences)}}}}}}}'
        )

    def _write_web_only_people(self, out: Path) -> None:
        """Visitors who sign up for the newsletter on the web and are not in the CRM: known
        by e-mail only. One in ten uses a shared role mailbox (biuro@), which must stay
        nobody."""
        rng = self.web_only_rng
        lines = []
        for n in range(max(5, self.n_people // 50)):
            anonymous_id = f"{rng.getrandbits(128):032x}"
            first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
            roll = rng.random()
            if roll < 0.1 and self.companies:
                email, role = f"biuro@{rng.choice(self.companies).domain}", True
            elif roll < 0.4:
                domain = rng.choice(("gmail.com", "wp.pl", "onet.pl"))
                email, role = f"{_ascii(first)}.{_ascii(last)}{n}@{domain}".lower(), False
            else:
                domain = rng.choice(self.companies).domain if self.companies else "example.pl"
                email, role = f"{_ascii(first)[0]}.{_ascii(last)}{n}@{domain}".lower(), False
            self.web_only.append((email, anonymous_id, role))
            ts = self.end_ts - rng.randint(2 * DAY, 60 * DAY)
            for kind, body in (
                (
                    "page",
                    '"name":"Blog","properties":{"path":"/blog","url":"%s/blog"},'
                    '"context":{"page":{"path":"/blog","url":"%s/blog","title":"Blog"}}',
                ),
                (
                    "track",
                    '"event":"Form Submitted","properties":{"form_id":"newsletter",'
                    '"consent":{"email_marketing":true},'
                    '"consent_policy_version":"privacy-2026-03"}',
                ),
                ("identify", '"traits":' + json.dumps({"email": email, "firstName": first})),
            ):
                body = body.replace("%s", catalog.SITE)
                sent = _iso(ts)
                lines.append(
                    f'{{"type":"{kind}","messageId":"nl-{rng.getrandbits(96):024x}",'
                    f'"anonymousId":"{anonymous_id}","userId":null,"timestamp":"{sent}",'
                    f'"sentAt":"{sent}","receivedAt":"{sent}",{body}}}'
                )
                ts += rng.randint(20, 300)
        self.stats.web_events += len(lines)
        (out / "segment-events-0000-newsletter.jsonl").write_bytes(
            ("\n".join(lines) + "\n").encode("ascii")
        )

    def _anonymous_visitor(self) -> None:
        rng = self.rng
        anonymous_id = _hex(rng, 128)
        for start in self._session_starts(PERSONAS[-2], rng.randint(1, 2)):
            ts = start
            for _ in range(rng.randint(1, 3)):
                family = rng.choice(("blog", "home", "product", "careers", "about"))
                path, title = rng.choice(catalog.PAGES[family])
                self._emit(self._page(anonymous_id, "null", ts, path, title, None))
                ts += 15 + 385 * rng.random()

    def _emit(self, line: str) -> None:
        """Count an event and add the controlled dirt real landing folders contain."""
        self.stats.web_events += 1
        roll = self.rng.random()
        if roll >= 0.0071:
            self._web.append(line)
        elif roll < 0.001:
            self._web.append(line[: len(line) // 2])  # truncated write
        elif roll < 0.006:
            # At-least-once delivery replays the same messageId.
            self._web.extend((line, line))
        elif roll < 0.0065:
            self._web.append(line.replace('"messageId":', '"messageID_missing":', 1))
        elif roll < 0.0068:
            self._web.append(line.replace('"type":"page"', '"type":"pageview"', 1))
        elif roll < 0.0069:
            self._late.append(line)
        else:
            self._web.append(line.replace('"timestamp":"2', '"timestamp":"3', 1))  # year 3xxx

    def _envelope(self, kind: str, anonymous_id: str, user_id: str, ts: float) -> str:
        message_id = f"{self.rng.getrandbits(128):032x}"
        sent = _iso(ts)
        received = _iso(ts + 0.35)
        return (
            f'"type":"{kind}","messageId":"ajs-{message_id}","anonymousId":"{anonymous_id}",'
            f'"userId":{user_id},"timestamp":"{sent}","sentAt":"{sent}",'
            f'"receivedAt":"{received}"'
        )

    def _page(
        self,
        anonymous_id: str,
        user_id: str,
        ts: float,
        path: str,
        title: str,
        campaign: tuple[str, str, str] | None,
    ) -> str:
        key = (path, campaign)
        tail = self._page_tails.get(key)
        if tail is None:
            url = catalog.SITE + path
            campaign_json = (
                f',"campaign":{{"name":"{campaign[0]}","source":"{campaign[1]}",'
                f'"medium":"{campaign[2]}"}}'
                if campaign
                else ""
            )
            page = f'{{"path":"{path}","url":"{url}","title":"{title}","referrer":""}}'
            tail = self._page_tails[key] = (
                f'"name":"{title}","properties":{page},'
                f'"context":{{"library":{{"name":"analytics.js","version":"5.2.0"}},'
                f'"page":{page}{campaign_json}}}}}'
            )
        return f"{{{self._envelope('page', anonymous_id, user_id, ts)},{tail}"

    def _form_submit(self, person: _Person, anonymous_id: str, user_id: str, ts: float) -> str:
        if person.persona.name == "champion":
            form = self.rng.choice(("contact_sales", "demo_request"))
        else:
            form = self.rng.choice(("ebook_download", "webinar_registration", "newsletter"))
        properties: dict[str, object] = {"form_id": form, "interest_level": person.interest_level}
        # The form's consent checkboxes, with the privacy-policy version they were shown.
        ticked = person.consent != "missing"
        properties["consent"] = {
            "email_marketing": ticked,
            "sales_contact": ticked,
            "profiling": ticked,
        }
        properties["consent_policy_version"] = "privacy-2026-03"
        if person.company is not None and self.rng.random() < 0.3:
            properties["nip"] = person.company.nip
        return (
            f"{{{self._envelope('track', anonymous_id, user_id, ts)},"
            f'"event":"Form Submitted","properties":{json.dumps(properties)},'
            f'"context":{{"library":{{"name":"analytics.js","version":"5.2.0"}}}}}}'
        )

    def _action(self, event: str, anonymous_id: str, user_id: str, ts: float) -> str:
        return (
            f"{{{self._envelope('track', anonymous_id, user_id, ts)},"
            f'"event":"{event}","properties":{{}},'
            f'"context":{{"library":{{"name":"analytics.js","version":"5.2.0"}}}}}}'
        )

    def _identify(self, person: _Person, anonymous_id: str, user_id: str, ts: float) -> str:
        email = person.email
        if self.rng.random() < 0.05:
            email = " " + email.title() + " "  # what people type into forms
        traits = {
            "email": email,
            "firstName": person.first_name,
            "lastName": person.last_name,
            "title": person.title,
        }
        return (
            f"{{{self._envelope('identify', anonymous_id, user_id, ts)},"
            f'"traits":{json.dumps(traits)},'
            f'"context":{{"library":{{"name":"analytics.js","version":"5.2.0"}}}}}}'
        )

    def _group(self, person: _Person, anonymous_id: str, user_id: str, ts: float) -> str:
        company = person.company
        assert company is not None
        traits = {"name": company.name, "website": company.domain, "nip": company.nip}
        return (
            f"{{{self._envelope('group', anonymous_id, user_id, ts)},"
            f'"groupId":"{company.domain}","traits":{json.dumps(traits)}}}'
        )

    # -- e-mail ----------------------------------------------------------------------------
    def write_email(self) -> None:
        rng = self.rng
        out = self.out / "email"
        out.mkdir(parents=True, exist_ok=True)
        batch: list[str] = []
        file_no = 0

        def flush() -> None:
            nonlocal file_no, batch
            if batch:
                file_no += 1
                body = "[\n" + ",\n".join(batch) + "\n]\n"
                (out / f"sendgrid-events-{file_no:04d}.json").write_text(body, encoding="utf-8")
                batch = []

        sends = self.volumes.email_sends
        span = self.end_ts - self.start_ts
        for n in range(sends):
            category, _subject = catalog.EMAIL_CAMPAIGNS[n % len(catalog.EMAIL_CAMPAIGNS)]
            sent_at = self.start_ts + span * (n + 0.5) / sends
            for person in self.people:
                if person.consent == "missing" or person.created_at > sent_at:
                    continue
                for event in self._email_events(person, category, sent_at):
                    batch.append(json.dumps(event, ensure_ascii=False))
                    self.stats.email_events += 1
                    if rng.random() < 0.004:
                        batch.append(batch[-1])  # webhook retry: same sg_event_id again
                if len(batch) >= EMAIL_BATCH_MAX_EVENTS:
                    flush()
        flush()
        # A webhook batch cut off mid-write: one event per line, the last one truncated.
        person = self.people[0]
        good = [json.dumps(e) for e in self._email_events(person, "newsletter", self.end_ts - DAY)]
        broken = "[\n" + ",\n".join(good) + ',\n{"email": "' + person.email + '", "timest'
        (out / "sendgrid-events-partial.json").write_text(broken, encoding="utf-8")
        self.stats.email_events += len(good)
        self.stats.files["email"] = file_no + 1

    def _email_events(self, person: _Person, category: str, sent_at: float) -> list[dict]:
        rng = self.rng
        persona = person.persona
        message_id = _hex(rng, 64) + ".filter0001"
        email = person.email if rng.random() > 0.03 else person.email.upper()
        categories: str | list[str] = category if rng.random() < 0.5 else [category, "marketing"]
        ts = int(sent_at + rng.randint(0, 3600))

        def event(kind: str, at: int, **extra: object) -> dict:
            base = {
                "email": email,
                "timestamp": at,
                "smtp-id": f"<{message_id}@ismtpd.example>",
                "event": kind,
                "category": categories,
                "sg_event_id": _hex(rng, 96),
                "sg_message_id": message_id,
            }
            base.update(extra)
            return base

        events = [event("processed", ts)]
        roll = rng.random()
        if roll < 0.01:
            events.append(event("dropped", ts + 1, reason="Bounced Address"))
            return events
        if roll < 0.03:
            events.append(
                event(
                    "bounce", ts + 5, reason="550 5.1.1 User unknown", status="5.1.1", type="bounce"
                )
            )
            return events
        if roll < 0.05:
            events.append(event("deferred", ts + 5, response="451 try later", attempt="1"))
        events.append(event("delivered", ts + 30))
        if rng.random() < 0.12:
            # Apple Mail Privacy Protection and security scanners open every message.
            events.append(event("open", ts + 40, sg_machine_open=True, useragent="Mozilla/5.0"))
        if rng.random() < persona.email_open:
            opened = ts + rng.randint(300, 5 * DAY)
            events.append(event("open", opened, sg_machine_open=False, useragent="Mozilla/5.0"))
            if rng.random() < persona.email_click / max(persona.email_open, 0.01):
                family = "pricing" if persona.name == "champion" else "blog"
                url = catalog.SITE + rng.choice(catalog.PAGES[family])[0]
                events.append(event("click", opened + 20, url=url, url_offset={"index": 0}))
            unsubscribe = rng.random()
            if unsubscribe < 0.004:
                events.append(event("unsubscribe", opened + 60))
            elif unsubscribe < 0.007:
                events.append(event("group_unsubscribe", opened + 60, asm_group_id=42))
            elif unsubscribe < 0.008:
                events.append(event("spamreport", opened + 60))
        return events

    # -- CRM -------------------------------------------------------------------------------
    def write_crm(self) -> None:
        rng = self.rng
        out = self.out / "crm"
        out.mkdir(parents=True, exist_ok=True)
        contacts: list[dict | str] = []
        emails: list[dict | str] = []
        preferences: list[dict | str] = []
        meetings: list[dict | str] = []
        calls: list[dict | str] = []
        notes: list[dict | str] = []
        deals: list[dict | str] = []
        engagement_id = 300_000
        deal_id = 9_000
        for person in self.people:
            deal = self._deal(person, deal_id + 1)
            if deal is not None:
                deal_id += 1
                deals.append(deal)
            contacts.append(self._contact(person))
            preferences.append(self._preferences(person))
            if rng.random() < person.persona.webinar:
                engagement_id += 1
                at = person.created_at + rng.randint(DAY, 30 * DAY)
                meetings.append(
                    self._engagement(
                        engagement_id,
                        person,
                        at,
                        "Webinar",
                        hs_meeting_title="Webinar: warehouse automation in practice",
                        hs_meeting_outcome="COMPLETED",
                    )
                )
            if person.persona.name == "champion" and person.consent == "granted":
                # Sales calls back a hand-raiser (the form that created the contact): most
                # within the hour, some much later.
                fast = rng.random() < 0.6
                at = person.created_at + (
                    rng.randint(300, 3000) if fast else rng.randint(2 * 3600, 2 * DAY)
                )
                if at < self.end_ts:
                    engagement_id += 1
                    calls.append(
                        self._call(
                            engagement_id,
                            person,
                            at,
                            "Hot lead call",
                            "Call back after contact form",
                            900,
                        )
                    )
            if person.lead_status in ("IN_PROGRESS", "CONNECTED", "BAD_TIMING", "UNQUALIFIED"):
                engagement_id += 1
                at = (person.identified_at or person.created_at) + rng.randint(600, 3 * DAY)
                calls.append(
                    self._call(engagement_id, person, at, "Discovery call", "Discovery call", 1_800)
                )
                engagement_id += 1
                feedback = {
                    "IN_PROGRESS": "Accepted by sales: qualifying.",
                    "CONNECTED": "Accepted by sales: budget and timing confirmed.",
                    "BAD_TIMING": "Rejected: bad timing, interested next year.",
                    "UNQUALIFIED": "Rejected: not a buyer.",
                }[person.lead_status]
                notes.append(
                    self._engagement(engagement_id, person, at + 900, None, hs_note_body=feedback)
                )
                if person.lead_status in ("IN_PROGRESS", "CONNECTED"):
                    engagement_id += 1
                    emails.append(
                        self._engagement(
                            engagement_id,
                            person,
                            at + 1800,
                            None,
                            hs_email_direction="EMAIL",
                            hs_email_status="SENT",
                            hs_email_subject="Follow-up after our call",
                        )
                    )
        if self.people:
            # A date typed by hand in the CRM: staging cannot type it, carries it on as null
            # and reports it (staging.stg_values_not_typed).
            typed_by_hand = contacts[len(contacts) // 3]
            if isinstance(typed_by_hand, dict):
                typed_by_hand["properties"]["lastmodifieddate"] = "yesterday"
            contacts.insert(len(contacts) // 2, '{"id": "99999999", "properties": {"email": ')
        files: dict[str, list[dict | str]] = {
            "contacts": contacts,
            "companies": [
                *(self._crm_company(c) for c in self.companies),
                *(self._crm_uk_company(c) for c in self.uk_companies),
            ],
            "deals": deals,
            "meetings": meetings,
            "calls": calls,
            "notes": notes,
            "emails": emails,
            "owners": [self._owner(n, owner) for n, owner in enumerate(self.owners)],
            "communication_preferences": preferences,
            "pipelines": [self._pipeline()],
        }
        for name, rows in files.items():
            lines = (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows)
            (out / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.stats.deals = len(deals)
        self.stats.files["crm"] = len(files)

    def _contact(self, person: _Person) -> dict:
        rng = self.rng
        created = _iso(person.created_at)
        budget, authority, need, timing = person.bant
        properties = {
            "email": person.email if rng.random() > 0.03 else person.email.upper(),
            "firstname": person.first_name,
            "lastname": person.last_name,
            "jobtitle": person.title,
            "company": person.company.name if person.company else None,
            "lifecyclestage": {"won": "customer", "open": "opportunity"}.get(
                person.deal_outcome, "lead"
            ),
            "hs_lead_status": person.lead_status,
            "hubspot_owner_id": rng.choice(self.owners),
            "interest_level": str(person.interest_level),
            "bant_budget": "yes" if budget else "no",
            "bant_authority": "yes" if authority else "no",
            "bant_need": "yes" if need else "no",
            "bant_timing": "yes" if timing else "no",
            "hs_merged_object_ids": ";".join(person.merged_ids) or None,
            "createdate": created,
            "lastmodifieddate": created,
        }
        if rng.random() < 0.02:
            properties["jobtitle"] = None  # missing field
        associations = {}
        if person.company is not None:
            associations["companies"] = {
                "results": [{"id": person.company.company_id, "type": "contact_to_company"}]
            }
        return {
            "id": person.contact_id,
            "properties": properties,
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
            "associations": associations,
        }

    def _preferences(self, person: _Person) -> dict:
        rng = self.rng
        statuses = []
        for subscription_id, name in catalog.SUBSCRIPTIONS:
            # Captured by the form that created the contact, moments before the record.
            at = person.created_at - rng.randint(0, 600)
            status, basis = "SUBSCRIBED", rng.choice(catalog.LEGAL_BASES_OK)
            if person.consent == "missing":
                status, basis = "NOT_SUBSCRIBED", "NON_GDPR"
            elif person.consent == "withdrawn":
                status, at = "NOT_SUBSCRIBED", int(self.end_ts - rng.randint(DAY, 20 * DAY))
            statuses.append(
                {
                    "id": subscription_id,
                    "name": name,
                    "status": status,
                    "sourceOfStatus": "SUBSCRIPTION_STATUS",
                    "legalBasis": basis,
                    "legalBasisExplanation": "Web form consent checkbox v3",
                    "timestamp": _iso(at),
                }
            )
        return {"recipient": person.email.lower(), "subscriptionStatuses": statuses}

    def _call(
        self, number: int, person: _Person, at: float, activity: str, title: str, seconds: int
    ) -> dict:
        """A connected sales call lasting one minute to ``seconds``."""
        return self._engagement(
            number,
            person,
            at,
            activity,
            hs_call_title=title,
            hs_call_disposition="f240bbac-87c9-4f6e-bf70-924b57d47db7",
            hs_call_duration=str(self.rng.randint(60_000, seconds * 1000)),
        )

    def _engagement(
        self, number: int, person: _Person, at: float, activity: str | None, **props: str
    ) -> dict:
        stamp = _iso(min(at, self.end_ts - 60))
        properties: dict[str, str | None] = {"hs_timestamp": stamp, "hs_createdate": stamp}
        if activity is not None:
            properties["hs_activity_type"] = activity
        properties.update(props)
        return {
            "id": str(number),
            "properties": properties,
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
            "associations": {
                "contacts": {
                    "results": [{"id": person.contact_id, "type": "engagement_to_contact"}]
                }
            },
        }

    def _deal(self, person: _Person, number: int) -> dict | None:
        rng = self.rng
        persona = person.persona
        win = persona.win_probability
        if person.company is not None and win > 0:
            # Traits drive outcomes beyond the persona: size and seniority matter.
            win *= 1.3 if person.company.revenue_band >= 2 else 0.6
            win *= 1.2 if "Manager" in person.title or "Kierownik" in person.title else 0.9
        lose = 0.0 if persona.competitor or persona.free_mail else win * 0.6 + 0.03
        roll = rng.random()
        if roll < win:
            outcome = "won"
        elif roll < win + lose:
            outcome = "lost"
        elif roll < win + lose + (0.08 if persona.name == "champion" else 0.0):
            outcome = "open"
        else:
            return None
        person.deal_outcome = outcome
        opened = (person.identified_at or person.created_at) + rng.randint(DAY, 10 * DAY)
        opened = min(opened, int(self.end_ts - 5 * DAY))
        closed = min(opened + rng.randint(10 * DAY, 60 * DAY), int(self.end_ts - DAY))
        stage = {"won": "closedwon", "lost": "closedlost", "open": "presentationscheduled"}
        properties = {
            "dealname": f"WMS for {person.company.name if person.company else person.last_name}",
            "amount": str(rng.choice((24_000, 48_000, 120_000, 360_000))),
            "dealstage": stage[outcome],
            "pipeline": "default",
            "createdate": _iso(opened),
            "closedate": _iso(closed) if outcome != "open" else None,
            "hs_is_closed_won": "true" if outcome == "won" else "false",
            "closed_lost_reason": rng.choice(("Price", "Chose competitor", "No decision"))
            if outcome == "lost"
            else None,
            "hubspot_owner_id": rng.choice(self.owners),
            "hs_lastmodifieddate": _iso(closed if outcome != "open" else opened),
        }
        associations = {
            "contacts": {"results": [{"id": person.contact_id, "type": "deal_to_contact"}]}
        }
        if person.company is not None:
            associations["companies"] = {
                "results": [{"id": person.company.company_id, "type": "deal_to_company"}]
            }
        return {
            "id": str(number),
            "properties": properties,
            "createdAt": _iso(opened),
            "updatedAt": properties["hs_lastmodifieddate"],
            "archived": False,
            "associations": associations,
        }

    def _crm_company(self, company: _Company) -> dict:
        created = _iso(self.start_ts - 400 * DAY)
        return {
            "id": company.company_id,
            "properties": {
                "name": company.name,
                "domain": company.domain,
                # A custom property most Polish HubSpot portals add; often left empty.
                "nip": company.nip if self.rng.random() < 0.7 else None,
                "city": self.rng.choice(("Warszawa", "Poznań", "Wrocław", "Łódź", "Gdańsk")),
                "createdate": created,
                "hs_lastmodifieddate": created,
            },
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
        }

    def _crm_uk_company(self, company: dict) -> dict:
        created = _iso(self.start_ts - 400 * DAY)
        number = company["company_number"]
        return {
            "id": company["company_id"],
            "properties": {
                "name": company["company_name"].title(),
                "domain": company["domain"],
                # A custom property for UK accounts, typed by hand: spacing varies.
                "company_number": number if int(number) % 2 else f" {number[:2]} {number[2:]} ",
                "city": company["registered_office_address"]["locality"],
                "createdate": created,
                "hs_lastmodifieddate": created,
            },
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
        }

    def _pipeline(self) -> dict:
        created = _iso(self.start_ts - 400 * DAY)
        stages = [
            ("appointmentscheduled", "Appointment scheduled", "0.2", "false"),
            ("qualifiedtobuy", "Qualified to buy", "0.4", "false"),
            ("presentationscheduled", "Presentation scheduled", "0.6", "false"),
            ("decisionmakerboughtin", "Decision maker bought-in", "0.8", "false"),
            ("contractsent", "Contract sent", "0.9", "false"),
            ("closedwon", "Closed won", "1.0", "true"),
            ("closedlost", "Closed lost", "0.0", "true"),
        ]
        return {
            "id": "default",
            "label": "Sales pipeline",
            "displayOrder": 0,
            "archived": False,
            "createdAt": created,
            "updatedAt": created,
            "stages": [
                {
                    "id": stage_id,
                    "label": label,
                    "displayOrder": order,
                    "metadata": {"probability": probability, "isClosed": closed},
                    "archived": False,
                    "createdAt": created,
                    "updatedAt": created,
                }
                for order, (stage_id, label, probability, closed) in enumerate(stages)
            ],
        }

    @staticmethod
    def _owner(n: int, owner_id: str) -> dict:
        first, last = catalog.FIRST_NAMES[n], catalog.LAST_NAMES[n]
        return {
            "id": owner_id,
            "email": f"{_ascii(first)}.{_ascii(last)}@leadhouse-demo.com",
            "firstName": first,
            "lastName": last,
            "userId": 9_100 + n,
            "archived": False,
        }

    # -- company registry ------------------------------------------------------------------
    def write_registry(self) -> None:
        rng = self.rng
        out = self.out / "company_registry"
        out.mkdir(parents=True, exist_ok=True)
        lines = []
        as_of = date.fromtimestamp(self.end_ts - 7 * DAY).isoformat()
        for company in self.companies:
            nip = company.nip
            roll = rng.random()
            if roll < 0.02:
                nip = taxids.corrupt_check_digit(nip)
            record = {
                "nip": nip if roll >= 0.03 or roll < 0.02 else None,
                "regon": company.regon,
                "krs": company.krs,
                "name": company.name,
                "legal_form": company.legal_form,
                "pkd_main": company.pkd,
                "registration_date": company.registered_on.isoformat(),
                "share_capital_pln": company.share_capital,
                "headcount_band": catalog.HEADCOUNT_BANDS[company.headcount_band],
                "revenue_band_pln": catalog.REVENUE_BANDS[company.revenue_band],
                "branches": company.branches,
                "vat_status": company.vat_status,
                "in_liquidation": company.in_liquidation,
                "www": company.domain,
                "as_of": as_of,
            }
            lines.append(json.dumps(record, ensure_ascii=False))
        lines.insert(len(lines) // 2, '{"nip": "5260250274", "name": "BROKEN')
        (out / "firmographics.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._write_purchased_csv(out)
        self._write_krs(out)
        self._write_bir(out)
        self._write_whitelist(out)
        profiles = [
            json.dumps({k: v for k, v in c.items() if k not in ("company_id", "domain")})
            for c in self.uk_companies
        ]
        profiles.append(json.dumps({"company_name": "NO NUMBER LIMITED"}))  # quarantined
        (out / "companies_house-profiles.jsonl").write_text(
            "\n".join(profiles) + "\n", encoding="utf-8"
        )
        self.stats.registry_records = len(self.companies) + len(self.uk_companies)
        self.stats.files["company_registry"] = sum(1 for p in out.iterdir() if p.is_file())

    def _write_purchased_csv(self, out: Path) -> None:
        """A second vendor's file covering a fifth of the companies, in CSV."""
        with (out / "firmographics-purchased.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(
                ["nip", "name", "headcount_band", "revenue_band_pln", "branches", "www", "as_of"]
            )
            for company in self.companies[::5]:
                writer.writerow(
                    [
                        company.nip,
                        company.name,
                        catalog.HEADCOUNT_BANDS[company.headcount_band],
                        catalog.REVENUE_BANDS[company.revenue_band],
                        company.branches,
                        company.domain,
                        date.fromtimestamp(self.end_ts - 40 * DAY).isoformat(),
                    ]
                )
            writer.writerow(
                ["12345", "TYPO sp. z o.o.", "10-49", "<2M", "many", "typo.pl", "2026-01-01"]
            )

    def _write_krs(self, out: Path) -> None:
        """KRS current extracts (OdpisAktualny), one document per line."""
        as_of = time.strftime("%d.%m.%Y", time.gmtime(self.end_ts - 3 * DAY))
        lines = []
        for company in self.companies:
            if company.krs is None:
                continue
            division, klass, subclass = company.pkd.split(".")
            board = [
                {
                    "nazwisko": {"nazwiskoICzlon": self.rng.choice(catalog.LAST_NAMES).upper()},
                    "imiona": {"imie": self.rng.choice(catalog.FIRST_NAMES).upper()},
                    "funkcjaWOrganie": "PREZES ZARZĄDU",
                }
            ]
            document = {
                "odpis": {
                    "rodzaj": "Aktualny",
                    "naglowekA": {
                        "rejestr": "RejP",
                        "numerKRS": company.krs,
                        "dataRejestracjiWKRS": company.registered_on.strftime("%d.%m.%Y"),
                        "stanZDnia": as_of,
                    },
                    "dane": {
                        "dzial1": {
                            "danePodmiotu": {
                                "formaPrawna": company.legal_form,
                                "identyfikatory": {"regon": company.regon, "nip": company.nip},
                                "nazwa": company.name,
                            },
                            "siedzibaIAdres": {"adres": {"miejscowosc": "WARSZAWA"}},
                            "kapital": {
                                "wysokoscKapitaluZakladowego": {
                                    "wartosc": f"{company.share_capital:,.2f}".replace(
                                        ",", " "
                                    ).replace(".", ","),
                                    "waluta": "PLN",
                                }
                            },
                        },
                        "dzial2": {"reprezentacja": {"sklad": board}},
                        "dzial3": {
                            "przedmiotDzialalnosci": {
                                "przedmiotPrzewazajacejDzialalnosci": [
                                    {
                                        "opis": "DZIAŁALNOŚĆ",
                                        "kodDzial": division,
                                        "kodKlasa": klass,
                                        "kodPodklasa": subclass,
                                    }
                                ]
                            }
                        },
                        "dzial6": {"likwidacja": {"likwidatorzy": []}}
                        if company.in_liquidation
                        else {},
                    },
                }
            }
            lines.append(json.dumps(document, ensure_ascii=False))
        lines.append(json.dumps({"odpis": {"naglowekA": {"numerKRS": "12"}}}))  # bad number
        (out / "krs-odpisy.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _write_bir(self, out: Path) -> None:
        """GUS REGON BIR 1.1 BIR11OsPrawna report rows, as the service returns them."""
        parts = ["<root>"]
        for company in self.companies:
            if company.krs is None:
                continue
            parts.append(
                "<dane>"
                f"<praw_regon9>{company.regon}</praw_regon9><praw_nip>{company.nip}</praw_nip>"
                f"<praw_nazwa>{escape(company.name)}</praw_nazwa>"
                f"<praw_dataRozpoczeciaDzialalnosci>{company.registered_on.isoformat()}"
                "</praw_dataRozpoczeciaDzialalnosci>"
                "<praw_dataZakonczeniaDzialalnosci></praw_dataZakonczeniaDzialalnosci>"
                f"<praw_podstawowaFormaPrawna_Nazwa>OSOBA PRAWNA</praw_podstawowaFormaPrawna_Nazwa>"
                f"<praw_szczegolnaFormaPrawna_Nazwa>{escape(company.legal_form)}"
                "</praw_szczegolnaFormaPrawna_Nazwa>"
                "<praw_adSiedzMiejscowosc_Nazwa>Warszawa</praw_adSiedzMiejscowosc_Nazwa>"
                "</dane>"
            )
        parts.append(
            "<dane><ErrorCode>4</ErrorCode><ErrorMessagePl>Nie znaleziono podmiotu dla "
            "podanych kryteriów wyszukiwania.</ErrorMessagePl><Regon>000000000</Regon></dane>"
        )
        parts.append("</root>")
        (out / "bir-reports.xml").write_text("\n".join(parts) + "\n", encoding="utf-8")

    def _write_whitelist(self, out: Path) -> None:
        """Saved VAT White List answers, 30 NIPs per request as the API allows."""
        answers = []
        registered = [c for c in self.companies if c.vat_status is not None]
        for start in range(0, len(registered), 30):
            batch = registered[start : start + 30]
            answers.append(
                {
                    "result": {
                        "subjects": [
                            {
                                "name": c.name,
                                "nip": c.nip,
                                "statusVat": c.vat_status,
                                "regon": c.regon,
                                "krs": c.krs,
                                "registrationLegalDate": c.registered_on.isoformat(),
                                "workingAddress": "UL. PRZYKŁADOWA 1, 00-001 WARSZAWA",
                                "accountNumbers": [f"{self.rng.getrandbits(80):026d}"],
                            }
                            for c in batch
                        ],
                        "requestDateTime": time.strftime(
                            "%d-%m-%Y %H:%M:%S", time.gmtime(self.end_ts - DAY)
                        ),
                        "requestId": _hex(self.rng, 40),
                    }
                }
            )
        (out / "whitelist-answers.json").write_text(
            json.dumps(answers, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )

    # -- ground truth ----------------------------------------------------------------------
    def write_truth(self) -> None:
        out = self.out / "_truth"
        out.mkdir(parents=True, exist_ok=True)
        with (out / "people.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "contact_id",
                    "merged_contact_ids",
                    "email",
                    "persona",
                    "company_id",
                    "anonymous_ids",
                    "consent",
                    "interest_level",
                    "lead_status",
                    "deal_outcome",
                ]
            )
            for p in self.people:
                writer.writerow(
                    [
                        p.contact_id,
                        ";".join(p.merged_ids),
                        p.email,
                        p.persona.name,
                        p.company.company_id if p.company else "",
                        ";".join(p.anonymous_ids),
                        p.consent,
                        p.interest_level,
                        p.lead_status,
                        p.deal_outcome,
                    ]
                )
        with (out / "web_only_people.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["email", "anonymous_id", "is_role_mailbox"])
            writer.writerows(
                (email, anonymous_id, str(role).lower())
                for email, anonymous_id, role in self.web_only
            )


def merged_id_bases(people: int) -> tuple[int, int]:
    """First ids of contacts merged away once and of those merged away twice (chained).
    Both ranges lie above every live contact id (1001 …) and apart from each other, as
    in HubSpot, where an id belongs to one record only; up to 499 k people they are the
    fixed 500 000 and 800 000 of earlier data sets."""
    merged_base = max(500_000, 1001 + people)
    return merged_base, merged_base + max(300_000, people)


def generate(
    out_dir: Path,
    people: int,
    seed: int,
    end: date | None = None,
    days: int = 180,
    volumes: Volumes | None = None,
) -> GenerateStats:
    """Write a complete synthetic data set for all four sources into ``out_dir``."""
    if people < 1:
        raise ValueError("people must be at least 1")
    started = time.perf_counter()
    end = end or datetime.now(UTC).date()
    gen = _Generator(Path(out_dir), people, seed, end, days, volumes or Volumes())
    gen.make_companies()
    gen.make_people()
    gen.write_web()  # sets identified_at, which deals and calls are timed after
    gen.write_crm()  # sets deal outcomes
    gen.write_email()
    gen.write_registry()
    gen.write_truth()
    gen.stats.seconds = time.perf_counter() - started
    # Timings stay out of the manifest so that the same arguments give identical files.
    manifest = {k: v for k, v in asdict(gen.stats).items() if k not in ("seconds", "web_seconds")}
    (Path(out_dir) / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return gen.stats
