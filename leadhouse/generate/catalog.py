"""Reference data for the synthetic generator: industries, pages, personas.

The personas follow the lead-definition material Leadhouse was founded on: a mid-level
logistics manager at a manufacturer with revenue above 10 M PLN who reads pricing and
implementation pages wins far more often than a student reading the blog.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SITE = "https://www.leadhouse-demo.com"

# PKD 2007 codes, grouped by the industry they fall in. The industry mapping itself is
# the warehouse's job (a dbt seed); the generator only needs realistic codes.
PKD_BY_INDUSTRY: dict[str, tuple[str, ...]] = {
    "manufacturing": ("25.62.Z", "22.29.Z", "28.29.Z", "10.89.Z", "29.32.Z", "27.12.Z"),
    "logistics": ("49.41.Z", "52.10.B", "52.29.C"),
    "wholesale": ("46.90.Z", "46.69.Z", "46.73.Z"),
    "software": ("62.01.Z", "62.02.Z"),
    "professional_services": ("70.22.Z", "69.20.Z", "73.11.Z"),
    "education": ("85.59.B", "85.42.B"),
}

LEGAL_FORMS = (
    ("SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ", "sp. z o.o."),
    ("SPÓŁKA AKCYJNA", "S.A."),
    ("SPÓŁKA KOMANDYTOWA", "sp.k."),
    ("JEDNOOSOBOWA DZIAŁALNOŚĆ GOSPODARCZA", ""),
)

REVENUE_BANDS = ("<2M", "2M-10M", "10M-50M", "50M-250M", ">250M")
HEADCOUNT_BANDS = ("1-9", "10-49", "50-249", "250-999", "1000+")

NAME_STEMS = (
    "Stal",
    "Pol",
    "Trans",
    "Metal",
    "Agro",
    "Bud",
    "Plast",
    "Elektro",
    "Logi",
    "Tech",
    "Mar",
    "Drew",
    "Chem",
    "Auto",
    "Pak",
    "Term",
    "Hydro",
    "Opto",
    "Fer",
    "Wis",
)
NAME_TAILS = (
    "mex",
    "pak",
    "bud",
    "tech",
    "trans",
    "prod",
    "serwis",
    "hurt",
    "system",
    "com",
    "form",
    "tron",
    "met",
    "lab",
    "port",
    "vita",
    "max",
    "net",
    "pol",
    "ex",
)
FIRST_NAMES = (
    "Anna",
    "Piotr",
    "Katarzyna",
    "Tomasz",
    "Magdalena",
    "Paweł",
    "Agnieszka",
    "Michał",
    "Joanna",
    "Krzysztof",
    "Monika",
    "Marcin",
    "Ewa",
    "Łukasz",
    "Karolina",
    "Grzegorz",
    "Aleksandra",
    "Jakub",
    "Natalia",
    "Adam",
    "Zofia",
    "Bartosz",
    "Marta",
    "Wojciech",
)
LAST_NAMES = (
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Jankowski",
    "Mazur",
    "Kwiatkowski",
    "Krawczyk",
    "Piotrowski",
    "Grabowski",
    "Nowakowski",
    "Pawłowski",
)
FREE_MAIL_DOMAINS = ("gmail.com", "wp.pl", "onet.pl", "o2.pl", "interia.pl")
COMPETITOR_DOMAINS = ("rival-wms.pl", "stockflow-systems.com")

# (path, title) per page family; URL classification is the warehouse's job.
PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "pricing": (("/pricing", "Pricing"), ("/pricing/enterprise", "Enterprise pricing")),
    "implementation": (
        ("/docs/implementation/getting-started", "Implementation guide"),
        ("/docs/implementation/erp-integration", "ERP integration"),
        ("/docs/api/reference", "API reference"),
    ),
    "contact": (("/contact", "Contact us"), ("/contact/sales", "Talk to sales")),
    "demo": (("/demo", "Book a demo"), ("/trial", "Start a free trial")),
    "case_study": (
        ("/customers/metalpak", "Case study: Metalpak"),
        ("/customers/translogi", "Case study: Translogi"),
    ),
    "product": (
        ("/product", "Product"),
        ("/product/features/warehouse-slotting", "Slotting"),
        ("/product/features/route-planning", "Route planning"),
    ),
    "about": (("/about", "About us"), ("/about/team", "Our team")),
    "blog": (
        ("/blog/10-tips-for-inventory", "10 tips for inventory"),
        ("/blog/what-is-wms", "What is a WMS?"),
        ("/blog/logistics-trends-2026", "Logistics trends 2026"),
    ),
    "careers": (("/careers", "Careers"), ("/careers/junior-developer", "Junior developer")),
    "home": (("/", "Home"),),
}

CAMPAIGNS = (
    ("spring_webinar", "linkedin", "paid_social"),
    ("wms_ebook", "google", "cpc"),
    ("newsletter_may", "sendgrid", "email"),
    ("trade_fair_poznan", "offline", "event"),
)

SUBSCRIPTIONS = (
    # (id, name, purpose): the purpose mapping lives in a dbt seed; ids are HubSpot's.
    ("1101", "Marketing newsletter"),
    ("1102", "Sales outreach"),
    ("1103", "Behavioural profiling"),
)
LEGAL_BASES_OK = ("CONSENT_WITH_NOTICE", "LEGITIMATE_INTEREST_PQL", "LEGITIMATE_INTEREST_CLIENT")

EMAIL_CAMPAIGNS = (
    ("newsletter", "Monthly newsletter"),
    ("webinar_invite", "Webinar invitation"),
    ("ebook", "E-book: warehouse automation"),
    ("case_study", "How Metalpak cut picking time"),
)


@dataclass(frozen=True)
class Persona:
    """How one kind of person looks, behaves and buys."""

    name: str
    share: float
    titles: tuple[str, ...]
    industries: tuple[str, ...]
    min_revenue_band: int  # index into REVENUE_BANDS
    sessions: tuple[int, int]
    pages_per_session: tuple[int, int]
    page_mix: dict[str, float]
    interest_levels: tuple[int, ...]
    bant_yes: float
    email_open: float
    email_click: float
    win_probability: float
    free_mail: bool = False
    competitor: bool = False
    webinar: float = 0.0
    lead_status: tuple[str, ...] = ("NEW", "OPEN")
    tags: tuple[str, ...] = field(default_factory=tuple)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="champion",
        share=0.18,
        titles=(
            "Logistics Manager",
            "Kierownik Logistyki",
            "Head of Supply Chain",
            "Operations Manager",
            "Warehouse Manager",
        ),
        industries=("manufacturing",),
        min_revenue_band=2,
        sessions=(3, 7),
        pages_per_session=(3, 7),
        page_mix={
            "pricing": 0.22,
            "implementation": 0.22,
            "contact": 0.08,
            "demo": 0.08,
            "case_study": 0.12,
            "product": 0.18,
            "about": 0.04,
            "blog": 0.04,
            "home": 0.02,
        },
        interest_levels=(3, 4, 4),
        bant_yes=0.8,
        email_open=0.55,
        email_click=0.2,
        win_probability=0.3,
        webinar=0.3,
        lead_status=("NEW", "NEW", "OPEN", "OPEN", "IN_PROGRESS", "CONNECTED"),
    ),
    Persona(
        name="evaluator",
        share=0.2,
        titles=("Procurement Specialist", "IT Manager", "Operations Analyst", "Plant Manager"),
        industries=("manufacturing", "logistics", "wholesale"),
        min_revenue_band=1,
        sessions=(2, 4),
        pages_per_session=(2, 5),
        page_mix={
            "pricing": 0.1,
            "implementation": 0.05,
            "product": 0.35,
            "case_study": 0.1,
            "about": 0.1,
            "blog": 0.2,
            "home": 0.1,
        },
        interest_levels=(2, 3),
        bant_yes=0.4,
        email_open=0.35,
        email_click=0.08,
        win_probability=0.12,
        webinar=0.2,
    ),
    Persona(
        name="webinar_only",
        share=0.12,
        titles=("Logistics Specialist", "Office Manager", "Sales Representative"),
        industries=("manufacturing", "wholesale", "professional_services"),
        min_revenue_band=0,
        sessions=(0, 1),
        pages_per_session=(1, 2),
        page_mix={"blog": 0.5, "home": 0.5},
        interest_levels=(1, 2),
        bant_yes=0.1,
        email_open=0.3,
        email_click=0.03,
        win_probability=0.02,
        webinar=1.0,
    ),
    Persona(
        name="not_now",
        share=0.1,
        titles=("Logistics Manager", "Supply Chain Director", "Operations Manager"),
        industries=("manufacturing", "logistics"),
        min_revenue_band=2,
        sessions=(1, 2),
        pages_per_session=(1, 3),
        page_mix={"pricing": 0.3, "product": 0.4, "case_study": 0.2, "home": 0.1},
        interest_levels=(2,),
        bant_yes=0.3,
        email_open=0.3,
        email_click=0.05,
        win_probability=0.03,
        lead_status=("BAD_TIMING",),
    ),
    Persona(
        name="student",
        share=0.12,
        titles=("Student", "Intern", "Student logistyki"),
        industries=("education",),
        min_revenue_band=0,
        sessions=(1, 4),
        pages_per_session=(1, 4),
        page_mix={"blog": 0.6, "careers": 0.3, "about": 0.1},
        interest_levels=(1,),
        bant_yes=0.0,
        email_open=0.25,
        email_click=0.05,
        win_probability=0.0,
        free_mail=True,
        lead_status=("NEW", "UNQUALIFIED"),
    ),
    Persona(
        name="content_reader",
        share=0.25,
        titles=("Marketing Specialist", "Accountant", "HR Manager", "Software Developer"),
        industries=("software", "professional_services", "wholesale"),
        min_revenue_band=0,
        sessions=(1, 3),
        pages_per_session=(1, 3),
        page_mix={"blog": 0.45, "product": 0.2, "about": 0.2, "home": 0.15},
        interest_levels=(1, 2),
        bant_yes=0.05,
        email_open=0.3,
        email_click=0.04,
        win_probability=0.02,
    ),
    Persona(
        name="competitor",
        share=0.03,
        titles=("Product Manager", "Sales Director"),
        industries=("software",),
        min_revenue_band=1,
        sessions=(3, 6),
        pages_per_session=(3, 6),
        page_mix={"pricing": 0.35, "implementation": 0.35, "product": 0.3},
        interest_levels=(1,),
        bant_yes=0.0,
        email_open=0.5,
        email_click=0.1,
        win_probability=0.0,
        competitor=True,
    ),
)
