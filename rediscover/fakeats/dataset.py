"""A seeded, vendor-neutral hiring history: users, jobs, people, applications, scorecards, resumes.

``generate(n_people, seed=..., now=...)`` always builds the same ``Dataset`` for the same
arguments (one ``random.Random(seed)``, no clock, no global random state). Renderers such as
``greenhouse_render`` turn it into one ATS's API shapes. Ids here are small per-kind integers;
renderers map them into the vendor's id ranges.

The data is shaped like a mid-size company's six years of recruiting: a funnel where most
applications stop at review or a screen, about one in ten reaches an onsite and a few an offer;
scorecards that agree with how far people got; rejection reasons that fit the stage; messy
locations, emails that differ only in case between duplicate records, accented names, and
resumes written from a skills vocabulary that matches each person's tags and job family. A few
hand-placed "story" people (``STORY_SLUGS``) make a demo show real silver medalists.
"""
from __future__ import annotations

import functools
import random
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Literal

DEFAULT_NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
YEARS_OF_HISTORY = 6

MILESTONES: tuple[str, ...] = (
    "application_review",
    "recruiter_screen",
    "hiring_manager_screen",
    "assessment",
    "onsite",
    "offer",
)

Status = Literal["open", "rejected", "hired"]
Rating = Literal["strong_no", "no", "yes", "strong_yes", "no_decision"]
ReasonType = Literal["we_rejected_them", "they_rejected_us", "none_specified"]


# ---------------------------------------------------------------------------------------------
# The logical model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """One email, phone, address, website or social profile as typed into the ATS."""

    value: str
    type: str | None = None


@dataclass
class LogicalUser:
    """A person working in the ATS: site admin, recruiter, coordinator, manager, interviewer."""

    id: int
    first_name: str
    last_name: str
    email: str
    role: str
    job_title: str | None
    family: str | None = None
    site_admin: bool = False
    deactivated: bool = False
    employee_id: str | None = None
    bar_raiser: bool = False
    created_at: datetime = DEFAULT_NOW
    updated_at: datetime = DEFAULT_NOW

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class LogicalStage:
    """One step of a job's interview plan, with the milestone its name stands for."""

    id: int
    job_id: int
    name: str
    sort_order: int
    milestone: str


@dataclass
class LogicalJob:
    """A requisition with its open window, interview plan and hiring team."""

    id: int
    title: str
    family: str
    requisition_id: str
    confidential: bool
    opened_at: datetime
    closed_at: datetime | None
    freeze: bool
    department_id: int
    office_id: int
    stages: list[LogicalStage] = field(default_factory=list)
    hiring_manager_ids: list[int] = field(default_factory=list)
    recruiter_ids: list[int] = field(default_factory=list)
    coordinator_ids: list[int] = field(default_factory=list)
    sourcer_ids: list[int] = field(default_factory=list)
    interviewer_ids: list[int] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``open`` or ``closed``."""
        return "open" if self.closed_at is None else "closed"

    @property
    def created_at(self) -> datetime:
        """When the job was drafted (a day before it opened)."""
        return self.opened_at - timedelta(days=1)

    @property
    def team_ids(self) -> list[int]:
        """Everyone on the hiring team: managers, owners and per-job permissions."""
        ids = self.hiring_manager_ids + self.recruiter_ids + self.coordinator_ids
        ids += self.sourcer_ids + self.interviewer_ids
        return sorted(set(ids))


@dataclass(frozen=True)
class LogicalRejectionReason:
    """A rejection reason and who did the rejecting."""

    id: int
    name: str
    type: ReasonType


@dataclass(frozen=True)
class LogicalSource:
    """Where applications come from, with the source's strategy (type)."""

    id: int
    name: str
    type: str


@dataclass(frozen=True)
class LogicalTag:
    """A candidate tag."""

    id: int
    name: str


@dataclass(frozen=True)
class LogicalStageVisit:
    """Time spent in one stage; ``exited_at`` is None while the application sits in it."""

    stage_id: int
    entered_at: datetime
    exited_at: datetime | None


@dataclass(frozen=True)
class LogicalScorecard:
    """One interviewer's card; drafts have no rating and no submission time."""

    id: int
    application_id: int
    stage_id: int
    interviewer_id: int
    submitter_id: int | None
    rating: Rating | None
    status: Literal["draft", "complete"]
    interviewed_at: datetime
    submitted_at: datetime | None
    notes: str | None


@dataclass(frozen=True)
class LogicalResume:
    """An uploaded file (resume, cover letter, signed offer letter) and its text."""

    id: int
    person_id: int
    application_id: int | None
    filename: str
    kind: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class LogicalOffer:
    """One version of an offer."""

    id: int
    application_id: int
    version: int
    status: Literal["created", "accepted", "rejected", "deprecated"]
    sent_on: date
    starts_on: date
    resolved_at: datetime | None
    salary: str
    created_at: datetime
    updated_at: datetime


@dataclass
class LogicalApplication:
    """An application to a job (or a prospect entry with no job) and its history.

    ``status`` is ``open`` for prospect entries too; ``prospect`` tells them apart.
    """

    id: int
    person_id: int
    job_id: int | None
    prospect: bool
    status: Status
    created_at: datetime
    source_id: int | None
    recruiter_id: int | None = None
    coordinator_id: int | None = None
    location: str | None = None
    visits: list[LogicalStageVisit] = field(default_factory=list)
    rejection_reason_id: int | None = None
    rejected_at: datetime | None = None
    rejected_by_id: int | None = None
    rejection_note: str | None = None
    hired_at: datetime | None = None
    last_activity_at: datetime | None = None
    visa_sponsorship: bool | None = None
    answers: list[tuple[str, str]] = field(default_factory=list)
    prospective_job_ids: list[int] = field(default_factory=list)

    @property
    def current_stage_id(self) -> int | None:
        """The stage an open application sits in (None once it is closed or a prospect)."""
        if self.status != "open" or not self.visits:
            return None
        return self.visits[-1].stage_id

    @property
    def last_stage_id(self) -> int | None:
        """The stage the application was in last (where it was rejected, hired or sits)."""
        return self.visits[-1].stage_id if self.visits else None

    @property
    def furthest_sort_order(self) -> int | None:
        """The furthest stage reached, as a position in the job's plan."""
        return max((v.stage_id % 1000 for v in self.visits), default=None)

    @property
    def closed_at(self) -> datetime | None:
        """When the application was rejected or hired."""
        return self.rejected_at or self.hired_at


@dataclass
class LogicalPerson:
    """One candidate record. Duplicate records of one human share ``same_as`` (the first id)."""

    id: int
    first_name: str
    last_name: str
    family: str
    seniority: int
    preferred_name: str | None = None
    title: str | None = None
    company: str | None = None
    city: str = ""
    time_zone: str | None = None
    emails: list[Contact] = field(default_factory=list)
    phones: list[Contact] = field(default_factory=list)
    addresses: list[Contact] = field(default_factory=list)
    websites: list[Contact] = field(default_factory=list)
    social: list[Contact] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    private: bool = False
    can_email: bool = True
    desired_salary: str | None = None
    work_remotely: bool | None = None
    same_as: int | None = None
    story: str | None = None
    created_at: datetime = DEFAULT_NOW
    updated_at: datetime = DEFAULT_NOW
    last_activity_at: datetime = DEFAULT_NOW

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    @property
    def primary_email(self) -> str | None:
        """The first email as stored (untrimmed, any case)."""
        return self.emails[0].value if self.emails else None


@dataclass
class Dataset:
    """Everything one ATS account would hold, vendor-neutral."""

    seed: int
    now: datetime
    users: list[LogicalUser]
    jobs: list[LogicalJob]
    sources: list[LogicalSource]
    rejection_reasons: list[LogicalRejectionReason]
    tags: list[LogicalTag] = field(default_factory=list)
    people: list[LogicalPerson] = field(default_factory=list)
    applications: list[LogicalApplication] = field(default_factory=list)
    scorecards: list[LogicalScorecard] = field(default_factory=list)
    resumes: list[LogicalResume] = field(default_factory=list)
    offers: list[LogicalOffer] = field(default_factory=list)

    @property
    def stages(self) -> list[LogicalStage]:
        """Every job's stages."""
        return [s for job in self.jobs for s in job.stages]

    def job(self, job_id: int) -> LogicalJob:
        """The job with this id."""
        return self.jobs[job_id - 1]

    def stage(self, stage_id: int) -> LogicalStage:
        """The stage with this id."""
        return self.job(stage_id // 1000).stages[stage_id % 1000]

    def reason(self, reason_id: int) -> LogicalRejectionReason:
        """The rejection reason with this id."""
        return self.rejection_reasons[reason_id - 1]

    def applications_of(self, person_id: int) -> list[LogicalApplication]:
        """One candidate record's applications, oldest first."""
        return [a for a in self.applications if a.person_id == person_id]

    def story(self, slug: str) -> LogicalPerson:
        """The hand-placed person for a story slug (the first record when duplicated)."""
        for person in self.people:
            if person.story == slug:
                return person
        raise KeyError(slug)


# ---------------------------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------------------------

FAMILIES: tuple[str, ...] = ("engineering", "data", "design", "product", "sales")
FAMILY_WEIGHTS: tuple[int, ...] = (44, 20, 12, 10, 14)
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "engineering": ("data",),
    "data": ("engineering", "product"),
    "design": ("product",),
    "product": ("design", "data"),
    "sales": ("product",),
}

# Stage plans: slot 0 and 5 are fixed; each job picks one name per middle slot.
PLAN_SLOTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "engineering": (
        ("Recruiter Phone Screen",),
        ("Technical Phone Screen", "Hiring Manager Screen"),
        ("Take Home Test", "Technical Assessment"),
        ("Onsite Interview", "Final Round (Onsite)"),
    ),
    "data": (
        ("Recruiter Phone Screen",),
        ("Hiring Manager Screen", "Technical Phone Screen"),
        ("Technical Assessment", "Take Home Test"),
        ("Final Round (Onsite)", "Onsite Interview"),
    ),
    "design": (
        ("Recruiter Phone Screen",),
        ("Hiring Manager Screen",),
        ("Portfolio Review", "Take Home Test"),
        ("Onsite Interview", "Final Round (Onsite)"),
    ),
    "product": (
        ("Recruiter Phone Screen",),
        ("Hiring Manager Screen",),
        ("Case Study",),
        ("Final Round (Onsite)", "Onsite Interview"),
    ),
    "sales": (
        ("Recruiter Phone Screen",),
        ("Hiring Manager Screen",),
        ("Sales Pitch Exercise",),
        ("Final Round (Onsite)",),
    ),
    "exec": (
        ("Recruiter Phone Screen",),
        ("Hiring Manager Screen",),
        ("Leadership Case Study",),
        ("Onsite Interview",),
    ),
}

# (title, family, requisition prefix, confidential). The first entries are the story jobs.
JOB_CATALOGUE: tuple[tuple[str, str, str, bool], ...] = (
    ("Software Engineer", "engineering", "ENG", False),
    ("Senior Backend Engineer", "engineering", "ENG", False),
    ("Data Engineer", "data", "DATA", False),
    ("Senior Data Engineer", "data", "DATA", False),
    ("Product Designer", "design", "DES", False),
    ("VP of Engineering", "engineering", "EXEC", True),
    ("Account Executive", "sales", "SALES", False),
    ("Backend Engineer", "engineering", "ENG", False),
    ("Staff Software Engineer", "engineering", "ENG", False),
    ("Frontend Engineer", "engineering", "ENG", False),
    ("Senior Frontend Engineer", "engineering", "ENG", False),
    ("Full Stack Engineer", "engineering", "ENG", False),
    ("Site Reliability Engineer", "engineering", "ENG", False),
    ("Platform Engineer (Kubernetes)", "engineering", "ENG", False),
    ("Engineering Manager, Payments", "engineering", "ENG", False),
    ("Security Engineer", "engineering", "ENG", False),
    ("Mobile Engineer (iOS)", "engineering", "ENG", False),
    ("Data Scientist", "data", "DATA", False),
    ("Machine Learning Engineer", "data", "DATA", False),
    ("Analytics Engineer", "data", "DATA", False),
    ("Data Analyst", "data", "DATA", False),
    ("Senior Product Designer", "design", "DES", False),
    ("UX Researcher", "design", "DES", False),
    ("Brand Designer", "design", "DES", False),
    ("Product Manager", "product", "PM", False),
    ("Senior Product Manager, Platform", "product", "PM", False),
    ("Technical Program Manager", "product", "PM", False),
    ("Sales Development Representative", "sales", "SALES", False),
    ("Enterprise Account Executive", "sales", "SALES", False),
    ("Solutions Engineer", "sales", "SALES", False),
    ("Customer Success Manager", "sales", "SALES", False),
    ("Head of Data", "data", "EXEC", True),
    ("VP of Sales", "sales", "EXEC", True),
    ("Chief Product Officer", "product", "EXEC", True),
)
STORY_JOB_COUNT = 6
DEPARTMENTS: dict[str, int] = {
    "exec": 300, "engineering": 301, "design": 302, "data": 303, "product": 304, "sales": 305,
}
OFFICE_IDS: tuple[int, ...] = (201, 202, 203, 204, 205)

# (first, last, role, job title, family, bar raiser)
USERS: tuple[tuple[str, str, str, str, str | None, bool], ...] = (
    ("Greenhouse", "Admin", "site_admin", "Recruiting Ops", None, False),
    ("Rina", "Castillo", "recruiter", "Senior Recruiter", None, False),
    ("Tobias", "Engström", "recruiter", "Technical Recruiter", None, False),
    ("Nkechi", "Obi", "recruiter", "Recruiter", None, False),
    ("Olga", "Brandt", "recruiter", "Recruiter", None, False),
    ("Marisol", "Peña", "coordinator", "Recruiting Coordinator", None, False),
    ("Dev", "Patel", "coordinator", "Recruiting Coordinator", None, False),
    ("Camille", "Laurent", "sourcer", "Sourcer", None, False),
    ("Harold", "Mbeki", "hiring_manager", "CTO", "exec", False),
    ("Grace", "Whitaker", "hiring_manager", "CEO", "exec", False),
    ("Mei", "Lin", "hiring_manager", "Engineering Manager", "engineering", False),
    ("Anders", "Holm", "hiring_manager", "Engineering Manager", "engineering", False),
    ("Fatima", "Haddad", "hiring_manager", "Director of Data", "data", False),
    ("Jonas", "Becker", "hiring_manager", "Head of Design", "design", False),
    ("Ana", "Souza", "hiring_manager", "VP Product", "product", False),
    ("Marcus", "Reed", "hiring_manager", "VP Sales", "sales", False),
    ("Ivan", "Novak", "interviewer", "Staff Engineer", "engineering", True),
    ("Yuki", "Sato", "interviewer", "Senior Software Engineer", "engineering", False),
    ("Kwame", "Mensah", "interviewer", "Senior Software Engineer", "engineering", False),
    ("Laura", "Fernández", "interviewer", "Site Reliability Engineer", "engineering", False),
    ("Piotr", "Zieliński", "interviewer", "Principal Engineer", "engineering", True),
    ("Hannah", "Schulz", "interviewer", "Senior Data Scientist", "data", False),
    ("Rahul", "Menon", "interviewer", "Data Engineer", "data", False),
    ("Ines", "Carvalho", "interviewer", "Analytics Engineer", "data", False),
    ("Noor", "Aziz", "interviewer", "Senior Product Designer", "design", False),
    ("Theo", "Martin", "interviewer", "UX Researcher", "design", False),
    ("Sam", "O'Connell", "interviewer", "Group Product Manager", "product", False),
    ("Daniela", "Ruiz", "interviewer", "Product Manager", "product", False),
    ("Chris", "Young", "interviewer", "Sales Manager", "sales", False),
    ("Aisha", "Bello", "interviewer", "Solutions Engineer", "sales", False),
)
DEACTIVATED_USER = "Olga"

REJECTION_REASONS: tuple[tuple[str, ReasonType], ...] = (
    ("Lacking skill(s)/qualification(s)", "we_rejected_them"),
    ("Not a culture add", "we_rejected_them"),
    ("Hired another candidate", "we_rejected_them"),
    ("Accepted another offer", "they_rejected_us"),
    ("Compensation expectations", "they_rejected_us"),
    ("Hiring freeze", "none_specified"),
    ("Duplicate candidate record", "none_specified"),
    ("Candidate withdrew", "they_rejected_us"),
    ("Location / work authorization", "we_rejected_them"),
    ("Unresponsive", "none_specified"),
)
# Rejection reason weights by stage position (0 = review … 5 = offer); last column = no reason.
REASON_WEIGHTS: tuple[tuple[int, ...], ...] = (
    (55, 0, 8, 0, 0, 4, 3, 5, 10, 0, 8),
    (30, 8, 6, 8, 15, 2, 0, 12, 7, 10, 4),
    (45, 10, 10, 10, 8, 3, 0, 10, 0, 0, 4),
    (45, 10, 10, 10, 8, 3, 0, 10, 0, 0, 4),
    (30, 10, 28, 14, 8, 3, 0, 5, 0, 0, 2),
    (0, 0, 30, 30, 25, 8, 0, 7, 0, 0, 0),
)
NEGATIVE_REASONS = frozenset({"Lacking skill(s)/qualification(s)", "Not a culture add"})

# (id, name, type); ids echo the Greenhouse fixtures.
SOURCES: tuple[tuple[int, str, str], ...] = (
    (2, "Jobs page on your website", "Company marketing"),
    (3, "LinkedIn (Ad Posting)", "Third-party boards"),
    (7, "Referral", "Referrals"),
    (12, "Glassdoor", "Third-party boards"),
    (16, "LinkedIn (Prospecting)", "Prospecting"),
    (21, "PyData Meetup", "In person event"),
    (25, "Wellfound", "Third-party boards"),
    (33, "Indeed", "Third-party boards"),
    (41, "Import from Previous ATS", "Other"),
    (52, "Talent Partners Ltd", "Agencies"),
    (53, "Hunt Club (Agency)", "Agencies"),
)
SOURCE_WEIGHTS: dict[str, tuple[int, ...]] = {
    "application": (32, 14, 10, 5, 12, 2, 4, 15, 0, 4, 2),
    "legacy": (24, 10, 10, 5, 8, 2, 2, 14, 20, 3, 2),
    "exec": (2, 0, 25, 0, 20, 0, 0, 0, 0, 33, 20),
    "prospect": (0, 0, 10, 0, 75, 10, 0, 0, 0, 5, 0),
}
REFERRAL_SOURCE_IDS = frozenset({7, 52, 53})

# Funnel: how far an application goes, by stage position, for ordinary and referred people.
FUNNEL = (49, 24, 12.5, 6.5, 5, 3)
FUNNEL_REFERRED = (34, 26, 17, 9, 9, 5)
RECENT_APPLICANT_SHARE = 0.12
DUPLICATE_SHARE = 0.03  # people who end up as two candidate records
OFFER_ACCEPT_SHARE = 0.6  # offer-stage applications that end in a hire
REVIEW_BACKLOG_SHARE = 0.25  # applications that sit unreviewed for weeks
STAGE_DAYS: tuple[tuple[float, float], ...] = (
    (0.5, 9), (3, 12), (4, 14), (4, 12), (6, 20), (3, 10),
)
CARDS_PER_STAGE: tuple[tuple[int, ...], ...] = (
    (0,), (0, 1, 1), (1,), (0, 1, 1), (3, 3, 4, 4, 5), (0,),
)

RATINGS: tuple[Rating, ...] = ("strong_yes", "yes", "no", "no_decision", "strong_no")
RATING_WEIGHTS: dict[str, tuple[int, ...]] = {
    "advanced": (22, 58, 10, 8, 2),
    "positive": (45, 42, 6, 6, 1),
    "negative": (2, 16, 52, 8, 22),
    "mixed": (10, 35, 30, 15, 10),
    "pending": (20, 50, 15, 15, 0),
    "story": (55, 45, 0, 0, 0),
}
NOTES: dict[str, tuple[str, ...]] = {
    "strong_yes": (
        "Exceptional. Best session I have run this quarter.",
        "Clear hire; deep on fundamentals and great communicator.",
        "Raised the bar. Would fight for this person.",
    ),
    "yes": (
        "Solid performance; would be happy to work with them.",
        "Good signal on problem solving, some gaps on scale.",
        "Move forward.",
    ),
    "no": (
        "Not enough depth for the level.",
        "Struggled to structure the problem.",
        "Mixed; leaning no on ownership examples.",
    ),
    "strong_no": (
        "Definitely not. Dismissive toward the interviewer.",
        "Could not complete the basic exercise.",
    ),
    "no_decision": (
        "Interview cut short; candidate had to drop.",
        "Not enough signal, recommend another session.",
    ),
}
REJECTION_NOTES: dict[str, tuple[str, ...]] = {
    "Hired another candidate": (
        "Very close call; keep warm for the next opening.",
        "Strong finalist, team picked someone with more domain experience.",
    ),
    "Accepted another offer": ("Took a competing offer.", "Went with a later-stage startup."),
    "Compensation expectations": ("Comp gap ~15%.", "Asked for well above band."),
    "Lacking skill(s)/qualification(s)": ("Below the bar on system design.", "Not senior enough."),
    "Hiring freeze": ("Req frozen for the rest of the year.",),
}

# Skills: display name per key, and each family's vocabulary with weights.
SKILL_NAMES: dict[str, str] = {
    "python": "Python", "go": "Go", "java": "Java", "kotlin": "Kotlin", "rust": "Rust",
    "typescript": "TypeScript", "kafka": "Kafka", "kubernetes": "Kubernetes", "docker": "Docker",
    "terraform": "Terraform", "aws": "AWS", "gcp": "GCP", "postgresql": "PostgreSQL",
    "redis": "Redis", "grpc": "gRPC", "graphql": "GraphQL", "django": "Django",
    "fastapi": "FastAPI", "react": "React", "node": "Node.js", "distributed": "Distributed Systems",
    "microservices": "Microservices", "swift": "Swift", "security": "Application Security",
    "sql": "SQL", "spark": "Spark", "airflow": "Airflow", "dbt": "dbt", "snowflake": "Snowflake",
    "bigquery": "BigQuery", "pandas": "pandas", "sklearn": "scikit-learn", "pytorch": "PyTorch",
    "ml": "Machine Learning", "looker": "Looker", "statistics": "Statistics", "flink": "Flink",
    "figma": "Figma", "sketch": "Sketch", "design_systems": "Design Systems",
    "prototyping": "Prototyping", "user_research": "User Research",
    "accessibility": "Accessibility",
    "interaction": "Interaction Design", "framer": "Framer", "illustrator": "Illustrator",
    "roadmapping": "Roadmapping", "ab_testing": "A/B Testing", "jira": "Jira",
    "amplitude": "Amplitude", "okrs": "OKRs", "pricing": "Pricing", "gtm": "Go-to-Market",
    "strategy": "Product Strategy", "salesforce": "Salesforce", "hubspot": "HubSpot",
    "outbound": "Outbound Prospecting", "saas": "SaaS Sales", "enterprise": "Enterprise Sales",
    "negotiation": "Negotiation", "forecasting": "Forecasting", "meddic": "MEDDIC", "gong": "Gong",
}
FAMILY_SKILLS: dict[str, tuple[tuple[str, int], ...]] = {
    "engineering": (
        ("python", 10), ("go", 6), ("java", 6), ("kotlin", 3), ("rust", 3), ("typescript", 5),
        ("kafka", 6), ("kubernetes", 7), ("docker", 5), ("terraform", 4), ("aws", 7), ("gcp", 3),
        ("postgresql", 6), ("redis", 4), ("grpc", 3), ("graphql", 3), ("django", 3),
        ("fastapi", 2), ("react", 4), ("node", 3), ("distributed", 4), ("microservices", 3),
        ("swift", 1), ("security", 1),
    ),
    "data": (
        ("python", 10), ("sql", 10), ("spark", 6), ("airflow", 6), ("dbt", 4), ("snowflake", 4),
        ("bigquery", 3), ("kafka", 3), ("pandas", 5), ("sklearn", 4), ("pytorch", 3), ("ml", 5),
        ("looker", 2), ("statistics", 3), ("flink", 1), ("aws", 3),
    ),
    "design": (
        ("figma", 10), ("sketch", 3), ("design_systems", 6), ("prototyping", 6),
        ("user_research", 6), ("accessibility", 4), ("interaction", 5), ("framer", 2),
        ("illustrator", 2), ("react", 1),
    ),
    "product": (
        ("roadmapping", 8), ("sql", 5), ("ab_testing", 5), ("jira", 4), ("amplitude", 3),
        ("okrs", 4), ("pricing", 2), ("gtm", 3), ("strategy", 6), ("user_research", 3),
    ),
    "sales": (
        ("salesforce", 10), ("hubspot", 4), ("outbound", 6), ("saas", 7), ("enterprise", 5),
        ("negotiation", 4), ("forecasting", 3), ("meddic", 3), ("gong", 2),
    ),
}
# Skills that recruiters tag (the rest only show up in resumes).
TAGGABLE = frozenset({
    "python", "go", "java", "kotlin", "rust", "typescript", "kafka", "kubernetes", "terraform",
    "aws", "react", "distributed", "sql", "spark", "airflow", "dbt", "snowflake", "ml",
    "figma", "design_systems", "user_research", "strategy", "salesforce", "enterprise", "swift",
})

TITLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "engineering": (
        ("Junior Software Engineer", "Software Engineer I"),
        ("Software Engineer", "Backend Engineer", "Frontend Engineer", "Full Stack Developer"),
        ("Senior Software Engineer", "Senior Backend Engineer", "Site Reliability Engineer"),
        ("Staff Software Engineer", "Lead Engineer", "Engineering Manager"),
        ("Principal Engineer", "Director of Engineering"),
    ),
    "data": (
        ("Junior Data Analyst", "Data Analyst"),
        ("Data Engineer", "Data Scientist", "Analytics Engineer"),
        ("Senior Data Engineer", "Senior Data Scientist", "Machine Learning Engineer"),
        ("Staff Data Engineer", "Lead Data Scientist", "Data Engineering Manager"),
        ("Head of Data", "Director of Analytics"),
    ),
    "design": (
        ("Junior Product Designer", "Visual Designer"),
        ("Product Designer", "UX Designer", "UX Researcher"),
        ("Senior Product Designer", "Senior UX Designer"),
        ("Staff Product Designer", "Design Lead"),
        ("Head of Design", "Design Director"),
    ),
    "product": (
        ("Associate Product Manager",),
        ("Product Manager", "Technical Program Manager"),
        ("Senior Product Manager",),
        ("Group Product Manager", "Principal Product Manager"),
        ("Director of Product", "VP Product"),
    ),
    "sales": (
        ("Sales Development Representative", "Business Development Representative"),
        ("Account Executive", "Customer Success Manager"),
        ("Senior Account Executive", "Solutions Engineer"),
        ("Enterprise Account Executive", "Sales Manager"),
        ("Director of Sales", "VP Sales"),
    ),
}
COMPANIES: tuple[str, ...] = (
    "Initech", "Hooli", "Globex", "Vandelay Industries", "Soylent Corp", "Massive Dynamic",
    "Pied Piper", "Umbrella Health", "Wonka Labs", "Tyrell Systems", "Aperture Science",
    "Dunder Mifflin", "Nakatomi Trading", "Monarch Solutions", "Sterling Cooper", "Blue Sun",
    "Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys", "Litware", "Adventure Works",
    "Kodiak Payments", "Lumen Health", "Fjord Analytics", "Skyline Data", "Nimbus Cloud",
    "Brightwave Media", "Quantum Ledger", "Orbital Freight", "Mercado Pronto", "Kumo Robotics",
)
UNIVERSITIES: tuple[str, ...] = (
    "University of Waterloo", "Universidad de Buenos Aires", "Technische Universität München",
    "IIT Bombay", "University of Lagos", "Jagiellonian University", "Københavns Universitet",
    "Université de Montréal", "Universidade de São Paulo", "University of Tokyo",
    "Tsinghua University", "KTH Royal Institute of Technology", "UC Berkeley", "Georgia Tech",
    "ETH Zürich", "Boğaziçi University", "Politechnika Warszawska", "Seoul National University",
    "UNAM", "University of Nairobi", "Trinity College Dublin", "University of Manchester",
    "Rhode Island School of Design", "Universitat Politècnica de Catalunya",
)
DEGREES: dict[str, tuple[str, ...]] = {
    "engineering": ("B.Sc. Computer Science", "M.Sc. Computer Science",
                    "B.Eng. Software Engineering",
                    "B.Sc. Mathematics", "Coding bootcamp certificate"),
    "data": ("M.Sc. Statistics", "B.Sc. Computer Science", "Ph.D. Physics", "M.Sc. Data Science",
             "B.Sc. Economics"),
    "design": ("BFA Graphic Design", "B.Des. Interaction Design", "M.A. Human-Computer Interaction",
               "B.A. Psychology"),
    "product": ("B.Sc. Computer Science", "MBA", "B.A. Economics", "B.Eng. Industrial Engineering"),
    "sales": ("B.A. Communications", "B.A. Business Administration", "B.A. Economics",
              "B.A. Political Science"),
}

# Names by culture: (first names, last names). Every character must be printable by the PDF
# writer in greenhouse_render (WinAnsi plus the Latin Extended letters in its Differences).
NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("Søren", "Åsa", "Björn", "Linnéa", "Øystein", "Freja", "Mikael", "Sigríður"),
     ("Kjærgaard", "Lindqvist", "Sørensen", "Håkansson", "Ødegaard", "Nyström", "Bergström")),
    (("Łukasz", "Małgorzata", "Wojciech", "Agnieszka", "Paweł", "Zofia", "Jiří", "Tereza"),
     ("Kowalczyk", "Nowak", "Wójcik", "Dąbrowska", "Wiśniewski", "Dvořák", "Kowalski")),
    (("Chloé", "Étienne", "Hélène", "Benoît", "Anaïs", "Gaël", "Noémie", "Léa"),
     ("Dubois", "Lefèvre", "Moreau", "Girard", "Fournier", "Bérubé", "Rousseau")),
    (("José", "María", "Sofía", "Andrés", "Lucía", "Tomás", "Inés", "Joaquín"),
     ("Álvarez", "García", "Muñoz", "Peña", "Ibáñez", "Hernández", "Ortega", "Núñez")),
    (("João", "Conceição", "Gonçalo", "Mateus", "Letícia", "Thiago", "Beatriz"),
     ("Gonçalves", "Araújo", "Simões", "Magalhães", "Oliveira", "Barbosa")),
    (("Jürgen", "Jörg", "Lena", "Maximilian", "Anneliese", "Felix", "Katrin"),
     ("Müller", "Schröder", "Groß", "Krüger", "Weiß", "Hoffmann", "Schäfer")),
    (("Ayşe", "Elif", "Çağrı", "Gökhan", "Özge", "Emre", "Zeynep"),
     ("Yılmaz", "Öztürk", "Şahin", "Doğan", "Çelik", "Aydın")),
    (("Chinedu", "Adaeze", "Oluwaseun", "Ngozi", "Emeka", "Folake", "Tunde"),
     ("Okonkwo", "Adeyemi", "Eze", "Balogun", "Nwosu", "Okafor")),
    (("Priya", "Arjun", "Ananya", "Rohan", "Kavya", "Siddharth", "Lakshmi", "Vikram"),
     ("Raman", "Iyer", "Chatterjee", "Reddy", "Nair", "Gupta", "Banerjee", "Krishnan")),
    (("Wei", "Xiaoling", "Jun", "Mei", "Hao", "Yuting", "Zhiwei"),
     ("Zhang", "Wang", "Liu", "Chen", "Huang", "Zhou")),
    (("Haruto", "Yui", "Kenji", "Aiko", "Ren", "Sakura", "Daiki"),
     ("Tanaka", "Watanabe", "Sato", "Nakamura", "Kobayashi", "Yamamoto")),
    (("Ji-woo", "Min-jun", "Seo-yeon", "Hyun-woo", "Ha-eun"),
     ("Kim", "Park", "Lee", "Choi", "Jung")),
    (("Minh", "Linh", "Thao", "Quang", "Huong"),
     ("Nguyen", "Tran", "Pham", "Le", "Vo")),
    (("Omar", "Layla", "Yusuf", "Fatima", "Karim", "Nour", "Rania"),
     ("Haddad", "Al-Sayed", "Mansour", "Khalil", "El-Amin", "Saleh")),
    (("Siobhán", "Seán", "Aoife", "Niamh", "Ciarán", "Róisín"),
     ("O'Brien", "O'Connor", "Murphy", "Mac Giolla", "Ó Súilleabháin", "Byrne")),
    (("Emily", "James", "Olivia", "Daniel", "Grace", "Michael", "Hannah", "Ethan"),
     ("Smith", "Johnson", "Whitfield", "Carter", "Hughes", "Bennett", "Foster")),
    (("Zoltán", "Réka", "Ștefan", "Ioana", "Bence", "Andreea"),
     ("Kovács", "Szabó", "Popescu", "Ionescu", "Nagy", "Dumitrescu")),
    (("Zoë", "Daan", "Sanne", "Joëlle", "Bram", "Femke"),
     ("de Vries", "van den Berg", "Jansen", "Bakker", "Visser", "de Jong")),
    (("Noa", "Yonatan", "Tamar", "Eitan", "Shira"),
     ("Cohen", "Levi", "Friedman", "Mizrahi", "Peretz")),
    (("Wanjiru", "Otieno", "Achieng", "Kip", "Njeri"),
     ("Kamau", "Odhiambo", "Mwangi", "Wekesa", "Chebet")),
)
PREFERRED_NAMES: dict[str, str] = {
    "Maximilian": "Max", "Siddharth": "Sid", "Oluwaseun": "Seun", "Małgorzata": "Gosia",
    "Michael": "Mike", "Wojciech": "Wojtek", "Anneliese": "Anne", "Yonatan": "Yoni",
    "Priya": "Pri", "Daniel": "Dan", "Andreea": "Andi", "Joaquín": "Joaco",
}

# (canonical city, messy spellings people type, phone prefix, Greenhouse time zone)
LOCATIONS: tuple[tuple[str, tuple[str, ...], str, str | None], ...] = (
    ("San Francisco, CA", ("San Francisco, California, United States", "  san francisco , CA, usa ",
                           "SF Bay Area / Remote", "San Francisco"),
     "+1 415", "Pacific Time (US & Canada)"),
    ("New York, NY", ("New York, NY 10001\nUnited States", "Brooklyn, New York, United States",
                      "NYC", "new york"), "+1 212", "Eastern Time (US & Canada)"),
    ("Austin, TX", ("Austin, Texas, United States", "Austin TX", "austin, tx (open to remote)"),
     "+1 512", "Central Time (US & Canada)"),
    ("Seattle, WA", ("Seattle, Washington", "Seattle WA 98101", "Greater Seattle Area"),
     "+1 206", "Pacific Time (US & Canada)"),
    ("Denver, CO", ("Denver, Colorado", "Denver, CO", "Boulder / Denver"), "+1 303",
     "Mountain Time (US & Canada)"),
    ("Toronto, ON", ("Toronto, Ontario, Canada", "Toronto ON", "toronto"), "+1 416",
     "Eastern Time (US & Canada)"),
    ("London, UK", ("London, UK / Remote (EMEA)", "London, England",
                    "Shoreditch, London E1 6AN, UK",
                    "london uk"), "+44 20", "London"),
    ("Berlin, Germany", ("Berlin", "berlin, germany", "Berlin, DE (Kreuzberg)"), "+49 30",
     "Berlin"),
    ("Munich, Germany", ("München, Deutschland", "Munich", "Muenchen, Bayern"), "+49 89", "Berlin"),
    ("Kraków, Poland", ("Kraków, Poland", "Krakow, PL", "Kraków / Remote"), "+48 12", "Warsaw"),
    ("Copenhagen, Denmark", ("København, Denmark", "Copenhagen", "Copenhagen, DK"), "+45 32",
     "Copenhagen"),
    ("Paris, France", ("Paris, France", "Paris 75011", "Île-de-France"), "+33 1", "Paris"),
    ("Madrid, Spain", ("Madrid, España", "Madrid, Spain", "madrid"), "+34 91", "Madrid"),
    ("São Paulo, Brazil", ("São Paulo, SP, Brasil", "Sao Paulo, Brazil", "SP - Brasil"), "+55 11",
     "Brasilia"),
    ("Mexico City, Mexico", ("CDMX, México", "Mexico City", "Ciudad de México"), "+52 55",
     "Mexico City"),
    ("Bengaluru, India", ("Bengaluru, Karnataka, India", "Bangalore", "Bengaluru (Remote OK)"),
     "+91 80", "Chennai"),
    ("Lagos, Nigeria", ("Lagos, Nigeria", "Lekki, Lagos", "Lagos NG"), "+234 1",
     "West Central Africa"),
    ("Nairobi, Kenya", ("Nairobi, Kenya", "Nairobi"), "+254 20", "Nairobi"),
    ("Istanbul, Turkey", ("İstanbul, Türkiye", "Istanbul, Turkey"), "+90 212", "Istanbul"),
    ("Tokyo, Japan", ("Tokyo, Japan", "Shibuya-ku, Tokyo", "tokyo"), "+81 3", "Tokyo"),
    ("Seoul, South Korea", ("Seoul, Korea", "Seoul, South Korea"), "+82 2", "Seoul"),
    ("Amsterdam, Netherlands", ("Amsterdam, NL", "Amsterdam, the Netherlands"), "+31 20",
     "Amsterdam"),
    ("Zürich, Switzerland", ("Zürich, CH", "Zurich, Switzerland"), "+41 44", "Zurich"),
    ("Remote (US)", ("Remote - US", "Remote (anywhere in the US)", "US Remote"), "+1 646", None),
)
PERSONAL_DOMAINS: tuple[str, ...] = (
    "example.com", "example.org", "example.net", "mail.example", "inbox.example",
)


# ---------------------------------------------------------------------------------------------
# Stories: hand-placed people that make a demo meaningful.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryApplication:
    """One application of a story person, placed relative to ``now``."""

    job: int
    furthest: int
    ends_days_ago: int
    outcome: str
    reason: str | None = None
    final_ratings: tuple[str, ...] = ()
    source_id: int = 2


@dataclass(frozen=True)
class StoryPerson:
    """A hand-placed person: who they are and what their record demonstrates."""

    slug: str
    first: str
    last: str
    email: str
    title: str
    company: str
    city: int
    family: str
    seniority: int
    tags: tuple[str, ...]
    skills: tuple[str, ...]
    applications: tuple[StoryApplication, ...]
    private: bool = False
    duplicate_email: str | None = None
    prospect: bool = False
    demonstrates: str = ""


# Story job numbers are positions in JOB_CATALOGUE (1-based).
SWE, BACKEND, DATA, SENIOR_DATA, DESIGNER, VPE = 1, 2, 3, 4, 5, 6

STORIES: tuple[StoryPerson, ...] = (
    StoryPerson(
        "silver_backend", "Zoë", "Okonkwo", "zoe.okonkwo@example.com",
        "Senior Software Engineer", "Globex", 0, "engineering", 3,
        ("Python", "Kafka", "Distributed Systems"),
        ("python", "kafka", "kubernetes", "postgresql", "distributed", "aws", "grpc"),
        (
            StoryApplication(SWE, 1, 1460, "rejected", "Compensation expectations"),
            StoryApplication(BACKEND, 5, 426, "rejected", "Hired another candidate",
                             ("strong_yes", "strong_yes", "strong_yes", "yes"), 7),
        ),
        demonstrates="silver medalist: reached Offer with strong-yes cards, rejected "
        "'Hired another candidate' 14 months ago; Python + Kafka",
    ),
    StoryPerson(
        "silver_designer", "Chloé", "Dubois", "chloe.dubois@example.org",
        "Senior Product Designer", "Brightwave Media", 11, "design", 2,
        ("Figma", "Design Systems", "User Research"),
        ("figma", "design_systems", "user_research", "prototyping", "accessibility"),
        (StoryApplication(DESIGNER, 4, 243, "rejected", "Hired another candidate",
                          ("strong_yes", "yes", "yes")),),
        demonstrates="designer who reached the onsite, good cards, 'Hired another candidate'",
    ),
    StoryPerson(
        "strong_no", "Søren", "Kjærgaard", "soren.kjaergaard@example.net",
        "Backend Engineer", "Fjord Analytics", 10, "engineering", 2,
        ("Python", "Kafka", "Go"),
        ("python", "kafka", "go", "docker", "postgresql"),
        (StoryApplication(BACKEND, 4, 560, "rejected", "Lacking skill(s)/qualification(s)",
                          ("strong_no", "no", "yes")),),
        demonstrates="reached onsite but has a strong-no card (dropped by 'exclude strong no')",
    ),
    StoryPerson(
        "in_process", "José", "Álvarez", "jose.alvarez@example.com",
        "Senior Data Engineer", "Mercado Pronto", 12, "data", 3,
        ("Python", "Spark", "Airflow", "Kafka"),
        ("python", "spark", "airflow", "kafka", "sql", "dbt"),
        (
            StoryApplication(SENIOR_DATA, 4, 700, "rejected", "Hired another candidate",
                             ("yes", "strong_yes", "yes")),
            StoryApplication(DATA, 2, 5, "open", source_id=7),
        ),
        demonstrates="earlier silver medalist now mid-process again (hidden unless include_active)",
    ),
    StoryPerson(
        "hired", "Łukasz", "Wiśniewski", "lukasz.wisniewski@example.com",
        "Senior Backend Engineer", "Kodiak Payments", 9, "engineering", 3,
        ("Python", "Kafka"),
        ("python", "kafka", "kubernetes", "terraform", "postgresql"),
        (StoryApplication(BACKEND, 5, 428, "hired", None,
                          ("strong_yes", "strong_yes", "yes", "yes"), 52),),
        demonstrates="hired into the job Zoë lost; hired people are never shown",
    ),
    StoryPerson(
        "private", "Adaeze", "Nwosu", "adaeze.nwosu@example.org",
        "Staff Software Engineer", "Quantum Ledger", 16, "engineering", 4,
        ("Python", "Kafka", "Kubernetes"),
        ("python", "kafka", "kubernetes", "go", "distributed"),
        (StoryApplication(BACKEND, 4, 460, "rejected", "Hired another candidate",
                          ("strong_yes", "yes", "yes")),),
        private=True,
        demonstrates="private candidate with a perfect silver-medalist profile; never shown",
    ),
    StoryPerson(
        "duplicate", "Mateus", "Oliveira", "Mateus.Oliveira@Example.com ",
        "Data Engineer", "Skyline Data", 13, "data", 2,
        ("SQL", "Spark"),
        ("sql", "spark", "python", "airflow", "snowflake"),
        (
            StoryApplication(SENIOR_DATA, 4, 640, "rejected", "Hired another candidate",
                             ("yes", "yes", "strong_yes")),
            StoryApplication(DATA, 0, 90, "rejected", "Hiring freeze"),
        ),
        duplicate_email="mateus.oliveira@example.com",
        demonstrates="two candidate records, emails differ in case/whitespace; merged into one",
    ),
    StoryPerson(
        "confidential", "Aiko", "Tanaka", "aiko.tanaka@example.net",
        "Director of Engineering", "Nakatomi Trading", 19, "engineering", 4,
        ("Distributed Systems", "Go"),
        ("go", "distributed", "kubernetes", "aws", "microservices"),
        (StoryApplication(VPE, 4, 120, "rejected", "Accepted another offer",
                          ("yes", "strong_yes", "yes"), 52),),
        demonstrates="onsite on a confidential exec job; only its hiring team can see it",
    ),
    StoryPerson(
        "prospect", "Tomás", "Herrera", "tomas.herrera@example.com",
        "Site Reliability Engineer", "Nimbus Cloud", 14, "engineering", 2,
        ("Kubernetes", "Go"),
        ("kubernetes", "go", "terraform", "aws"),
        (),
        prospect=True,
        demonstrates="prospect with no job; search ignores prospect-only people",
    ),
)
STORY_SLUGS: tuple[str, ...] = tuple(s.slug for s in STORIES)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def fold_ascii(text: str) -> str:
    """Drop accents and map the letters NFKD cannot split (ø, ł, ß, …) to ASCII."""
    text = text.translate(_ASCII_EXTRA)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_ASCII_EXTRA = str.maketrans({
    "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L", "ß": "ss", "ı": "i",
    "đ": "d", "Đ": "D", "œ": "oe", "Œ": "OE", "å": "a", "Å": "A",
})


def _stamp(rng: random.Random, moment: datetime) -> datetime:
    """Round to whole seconds, keeping milliseconds now and then as real systems do."""
    if rng.random() < 0.8:
        return moment.replace(microsecond=0)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _weighted(rng: random.Random, items: Sequence, weights: Sequence[float]):
    """One item drawn by weight."""
    return rng.choices(items, weights=weights, k=1)[0]


def _slug(text: str) -> str:
    """Lowercase ASCII letters and digits only."""
    return "".join(c for c in fold_ascii(text).lower() if c.isalnum())


# ---------------------------------------------------------------------------------------------
# Reference data: reasons, sources, users, jobs
# ---------------------------------------------------------------------------------------------


def build_rejection_reasons() -> list[LogicalRejectionReason]:
    """The organisation's rejection reasons (Greenhouse defaults plus a few custom ones)."""
    return [LogicalRejectionReason(i, name, kind)
            for i, (name, kind) in enumerate(REJECTION_REASONS, 1)]


def build_sources() -> list[LogicalSource]:
    """The organisation's application sources."""
    return [LogicalSource(i, name, kind) for i, name, kind in SOURCES]


def build_users(now: datetime) -> list[LogicalUser]:
    """Recruiting staff and interviewers; one recruiter left the company."""
    users = []
    founded = now - timedelta(days=365 * 7 + 60)
    for i, (first, last, role, title, family, bar_raiser) in enumerate(USERS, 1):
        created = founded + timedelta(days=37 * i, hours=9 + i % 8, minutes=i * 7 % 60)
        user = LogicalUser(
            id=i, first_name=first, last_name=last, role=role, job_title=title, family=family,
            email=f"{_slug(first)}.{_slug(last)}@acme-corp.example",
            site_admin=role == "site_admin", deactivated=first == DEACTIVATED_USER,
            employee_id=None if role == "site_admin" else f"E-{i * 37 % 900 + 7:04d}",
            bar_raiser=bar_raiser, created_at=created,
        )
        user.updated_at = now - timedelta(days=30 + i * 11) if not user.deactivated else (
            now - timedelta(days=365 * 3 + 40))
        users.append(user)
    return users


def _story_job_windows(now: datetime) -> list[tuple[datetime, datetime | None, bool]]:
    """Fixed open windows of the story jobs, in catalogue order."""
    start = now - timedelta(days=365 * YEARS_OF_HISTORY + 40)
    return [
        (start, None, False),                                          # Software Engineer
        (now - timedelta(days=640), now - timedelta(days=425), False),  # Senior Backend Eng.
        (start + timedelta(days=120), None, False),                    # Data Engineer
        (now - timedelta(days=900), now - timedelta(days=600), False),  # Senior Data Eng.
        (now - timedelta(days=395), now - timedelta(days=240), False),  # Product Designer
        (now - timedelta(days=330), None, False),                      # VP of Engineering
    ]


def _random_job_window(rng: random.Random, now: datetime,
                       spec: tuple[str, str, str, bool]) -> tuple[datetime, datetime | None, bool]:
    """An open window for a catalogue job: evergreen, still open, or closed (maybe frozen)."""
    start = now - timedelta(days=365 * YEARS_OF_HISTORY)
    if spec[2] == "EXEC":  # executive searches are short and recent
        opened = now - timedelta(days=rng.uniform(60, 365 * 3))
        closed = opened + timedelta(days=rng.uniform(60, 300))
        return (opened, None, False) if closed >= now else (opened, closed, False)
    if rng.random() < 0.12:
        return start + timedelta(days=rng.uniform(0, 200)), None, False
    opened = start + timedelta(days=rng.uniform(0, 365 * YEARS_OF_HISTORY - 45))
    closed = opened + timedelta(days=rng.uniform(90, 540))
    if closed >= now - timedelta(days=1):
        return opened, None, False
    return opened, closed, rng.random() < 0.15


def _plan_names(rng: random.Random, family: str) -> list[str]:
    """Six stage names for one job: fixed first and last, a variant per middle slot."""
    return ["Application Review", *(rng.choice(slot) for slot in PLAN_SLOTS[family]), "Offer"]


class _JobFactory:
    """Builds jobs with stage plans and hiring teams from the fixed user list."""

    def __init__(self, rng: random.Random, now: datetime, users: list[LogicalUser]):
        self.rng, self.now, self.users = rng, now, users
        self.used_requisitions: set[str] = set()

    def build(self, job_id: int, spec: tuple[str, str, str, bool],
              window: tuple[datetime, datetime | None, bool]) -> LogicalJob:
        """One job with its plan and team."""
        title, family, prefix, confidential = spec
        opened, closed, freeze = window
        plan_family = "exec" if prefix == "EXEC" else family
        job = LogicalJob(
            id=job_id, title=title, family=family, requisition_id=self._requisition(prefix),
            confidential=confidential, freeze=freeze,
            opened_at=_stamp(self.rng, opened.replace(hour=9, minute=0)),
            closed_at=_stamp(self.rng, closed) if closed else None,
            department_id=DEPARTMENTS[plan_family], office_id=self.rng.choice(OFFICE_IDS),
        )
        job.stages = [
            LogicalStage(job_id * 1000 + i, job_id, name, i, MILESTONES[i])
            for i, name in enumerate(_plan_names(self.rng, plan_family))
        ]
        self._staff(job, plan_family)
        return job

    def _requisition(self, prefix: str) -> str:
        """A fresh requisition id like ENG-244."""
        while True:
            req = f"{prefix}-{self.rng.randint(101, 399):03d}"
            if req not in self.used_requisitions:
                self.used_requisitions.add(req)
                return req

    def _pick(self, role: str, family: str | None = None, *, at: datetime) -> list[LogicalUser]:
        """Users with a role (and family), excluding people who left before ``at``."""
        return [
            u for u in self.users
            if u.role == role and (family is None or u.family == family)
            and not (u.deactivated and at > u.updated_at)
        ]

    def _staff(self, job: LogicalJob, plan_family: str) -> None:
        """Hiring managers, owners and interviewers for a job."""
        rng, at = self.rng, job.opened_at
        managers = self._pick("hiring_manager", plan_family, at=at)
        if plan_family == "exec":
            technical = job.family in ("engineering", "data")
            managers = [m for m in managers if (m.job_title == "CTO") == technical]
        job.hiring_manager_ids = [m.id for m in rng.sample(managers, 1 + (rng.random() < 0.25)
                                                           if len(managers) > 1 else 1)]
        job.recruiter_ids = [rng.choice(self._pick("recruiter", at=at)).id]
        if rng.random() < 0.6:
            job.coordinator_ids = [rng.choice(self._pick("coordinator", at=at)).id]
        if rng.random() < 0.3 and not job.confidential:
            job.sourcer_ids = [u.id for u in self._pick("sourcer", at=at)]
        pool = self._pick("interviewer", job.family, at=at)
        extra = [u for u in self._pick("interviewer", at=at) if u not in pool]
        panel = rng.sample(pool, min(len(pool), rng.randint(2, 4)))
        job.interviewer_ids = sorted(u.id for u in panel)
        if rng.random() < 0.4:
            job.interviewer_ids.append(rng.choice(extra).id)


def build_jobs(rng: random.Random, now: datetime, users: list[LogicalUser]) -> list[LogicalJob]:
    """The story jobs plus a seeded selection from the catalogue (20–26 jobs in all)."""
    factory = _JobFactory(rng, now, users)
    jobs = [
        factory.build(i, spec, window)
        for i, (spec, window) in enumerate(zip(JOB_CATALOGUE, _story_job_windows(now)), 1)
    ]
    rest = JOB_CATALOGUE[STORY_JOB_COUNT:]
    execs = [spec for spec in rest if spec[3]]
    others = [spec for spec in rest if not spec[3]]
    extra = rng.sample(others, rng.randint(13, 18)) + rng.sample(execs, rng.randint(1, len(execs)))
    for spec in extra:
        jobs.append(factory.build(len(jobs) + 1, spec, _random_job_window(rng, now, spec)))
    return jobs


# ---------------------------------------------------------------------------------------------
# Resumes
# ---------------------------------------------------------------------------------------------

# Each bullet names the kind of skill it needs; it is filled from the person's own skills of
# that kind first, so resumes mention what the person is tagged with.
BULLETS: dict[str, tuple[str, ...]] = {
    "engineering": (
        "Designed and shipped a {lang} service handling {n}k requests per second with p99 "
        "latency under {k}0 ms.",
        "Migrated a monolith to {lang} services running on {infra}, cutting deploy time from "
        "hours to minutes.",
        "Built event-driven pipelines with {stream} and {lang} that process {n} million messages "
        "per day.",
        "Led the on-call rotation for the {team} platform and reduced pages by {pct}% through "
        "better alerting.",
        "Introduced {any} to the stack and wrote the internal guide adopted by {n} engineers.",
        "Owned the {team} ledger written in {lang} on {store}, with idempotent retries and "
        "exactly-once processing.",
        "Mentored {k} engineers and ran weekly design reviews on {concept}.",
        "Rewrote the search indexing job in {lang}, making full rebuilds {k}x faster.",
        "Automated infrastructure with {infra}; provisioned clusters across three regions.",
        "Raised test coverage from {low}% to {high}% and added contract tests for the {team} APIs.",
        "Cut cloud spend by {pct}% by right-sizing {infra} workloads and caching hot paths in "
        "{store}.",
        "Partnered with product to launch the {team} API used by {n} enterprise customers.",
        "Built the {team} web app with {web}, including accessibility audits and end-to-end tests.",
        "Tuned {store} queries and indexes, cutting p95 latency on {team} endpoints by {pct}%.",
        "Exposed internal services over {api} with versioned schemas and generated clients.",
    ),
    "data": (
        "Built batch and streaming pipelines in {engine} and {lang} feeding a {n} TB "
        "{warehouse} warehouse.",
        "Orchestrated {n} daily jobs with {orch}; added data quality checks that caught {pct}% "
        "of incidents early.",
        "Trained and deployed {ml} models for churn prediction, lifting retention by {k}%.",
        "Designed the experimentation framework and analysed {n} A/B tests in {lang}.",
        "Modelled core business entities with {engine} on {warehouse}, replacing {k} legacy "
        "reports.",
        "Reduced pipeline runtime by {pct}% by repartitioning {engine} jobs and pruning unused "
        "columns.",
        "Built self-serve dashboards in {bi} for the {team} team, used weekly by {n} people.",
        "Productionised real-time feature pipelines on {stream} for fraud scoring.",
        "Wrote the company's data contracts and onboarded {k} producer teams to them.",
        "Ran the {team} forecasting model end to end, from {lang} notebooks to scheduled {orch} "
        "jobs.",
    ),
    "design": (
        "Led end-to-end design of the onboarding flow in {tool}, raising activation by {k}%.",
        "Built and maintained a {tool} component library used by {k} product teams.",
        "Ran {n} moderated usability sessions and turned findings into a prioritised roadmap.",
        "Championed {practice} across web and mobile, partnering closely with engineering.",
        "Prototyped interactions in {tool} to validate ideas before engineering effort.",
        "Redesigned the {team} dashboard, cutting support tickets by {pct}%.",
        "Facilitated design critiques and workshops with product and research partners.",
        "Defined the visual language for the {team} product relaunch.",
        "Set up a {practice} practice with templates, rituals and a shared insights library.",
    ),
    "product": (
        "Owned the roadmap for the {team} product, growing weekly active users by {pct}% year "
        "over year.",
        "Defined OKRs and ran quarterly planning across {k} engineering teams.",
        "Used {analytics} to size opportunities and prioritise the backlog.",
        "Launched a usage-based pricing tier that added ${k}M in annual recurring revenue.",
        "Ran discovery interviews with {n} customers to shape the {team} {pm}.",
        "Shipped {k} major releases on schedule with a cross-functional team of {n}.",
        "Partnered with sales on packaging for the enterprise segment, drawing on {pm} work.",
        "Ran the backlog in {tool} and cut cycle time by {pct}%.",
    ),
    "sales": (
        "Closed ${n}0k in new annual recurring revenue at {pct}% of quota, selling to mid-market "
        "accounts.",
        "Built outbound sequences in {crm} generating {n} qualified meetings per quarter.",
        "Ran MEDDIC-qualified deals tracked in {crm}, with an average contract value of ${n}k.",
        "Managed a book of {n} accounts in {crm} with {pct}% net revenue retention.",
        "Ranked in the top {k} of the sales team two years in a row.",
        "Coached {k} SDRs on {motion} and discovery calls.",
        "Expanded the {team} vertical from zero to {n} paying customers.",
    ),
}
GENERIC_BULLETS: tuple[str, ...] = (
    "Collaborated with product, design and data partners to deliver quarterly goals.",
    "Presented results to leadership and wrote clear decision documents.",
    "Interviewed candidates and helped grow the team from {k} to {n} people.",
    "Documented processes and onboarded new hires to the team's tooling.",
)
SKILL_KINDS: dict[str, tuple[str, ...]] = {
    "lang": ("python", "go", "java", "kotlin", "rust", "typescript", "swift", "sql"),
    "stream": ("kafka", "flink"),
    "infra": ("kubernetes", "docker", "terraform", "aws", "gcp"),
    "store": ("postgresql", "redis"),
    "api": ("grpc", "graphql"),
    "web": ("react", "node", "django", "fastapi"),
    "concept": ("distributed", "microservices", "security"),
    "engine": ("spark", "dbt", "pandas"),
    "orch": ("airflow",),
    "warehouse": ("snowflake", "bigquery"),
    "ml": ("sklearn", "pytorch", "ml", "statistics"),
    "bi": ("looker",),
    "tool": ("figma", "sketch", "framer", "illustrator", "jira"),
    "practice": ("design_systems", "prototyping", "user_research", "accessibility", "interaction"),
    "pm": ("roadmapping", "okrs", "strategy", "pricing", "gtm"),
    "analytics": ("sql", "ab_testing", "amplitude"),
    "crm": ("salesforce", "hubspot", "gong"),
    "motion": ("outbound", "saas", "enterprise", "meddic", "negotiation", "forecasting"),
}
TEAMS: tuple[str, ...] = (
    "payments", "growth", "billing", "search", "identity", "logistics", "marketplace",
    "analytics", "mobile", "checkout", "notifications", "risk",
)
SUMMARIES: dict[str, str] = {
    "engineering": "{title} with {years} years of experience building reliable backend and product "
                   "systems, most recently with {s1}, {s2} and {s3}.",
    "data": "{title} with {years} years of experience turning raw data into products and decisions "
            "using {s1}, {s2} and {s3}.",
    "design": "{title} with {years} years of experience designing clear, accessible products; "
              "daily tools include {s1}, {s2} and {s3}.",
    "product": "{title} with {years} years of experience leading discovery and delivery; strengths "
               "in {s1}, {s2} and {s3}.",
    "sales": "{title} with {years} years of experience carrying quota in B2B software; fluent in "
             "{s1}, {s2} and {s3}.",
}


@dataclass
class _Role:
    """A past or current job on a person's resume."""

    title: str
    company: str
    start: int
    end: int | None


def _skill_of(rng: random.Random, kind: str, family: str, skills: Sequence[str]) -> str:
    """A skill of a kind: one of the person's own, else one common in their family."""
    options = SKILL_KINDS[kind]
    own = [s for s in skills if s in options]
    if own:
        return rng.choice(own)
    family_vocab = [s for s, _ in FAMILY_SKILLS[family] if s in options]
    return rng.choice(family_vocab or list(options))


NUMBERS: dict[str, tuple[int, int]] = {
    "n": (3, 90), "k": (2, 9), "pct": (18, 95), "low": (20, 45), "high": (70, 95),
}


@functools.cache
def _placeholders(template: str) -> tuple[str, ...]:
    """The ``{name}`` fields a bullet template uses."""
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _fill_bullet(rng: random.Random, template: str, family: str, skills: Sequence[str]) -> str:
    """A resume bullet with skills of the right kinds and plausible numbers filled in."""
    values: dict[str, str | int] = {}
    for name in _placeholders(template):
        if name in SKILL_KINDS:
            values[name] = SKILL_NAMES[_skill_of(rng, name, family, skills)]
        elif name == "any":
            values[name] = SKILL_NAMES[rng.choice(skills)]
        elif name == "team":
            values[name] = rng.choice(TEAMS)
        else:
            values[name] = rng.randint(*NUMBERS[name])
    return template.format(**values)


def _resume_header(person: LogicalPerson, role: _Role, email: str, phone: str | None) -> list[str]:
    """Name, headline and contact lines."""
    contact = " | ".join(x for x in (email.strip(), phone) if x)
    return [person.name, f"{role.title} - {person.city}", contact, ""]


def write_resume(rng: random.Random, person: LogicalPerson, roles: Sequence[_Role],
                 education: str, as_of: int) -> str:
    """A plain-text resume of 150–600 words reflecting the career up to year ``as_of``."""
    shown = [r for r in roles if r.start <= as_of]
    if not shown:  # applied before the career we drew for them began: a first job then
        shown = [_Role(roles[0].title, roles[0].company, as_of - 1, None)]
    current = shown[-1]
    skills = person.skills
    years = max(1, as_of - shown[0].start)
    summary = SUMMARIES[person.family].format(
        title=current.title, years=years,
        s1=SKILL_NAMES[skills[0]], s2=SKILL_NAMES[skills[1 % len(skills)]],
        s3=SKILL_NAMES[skills[2 % len(skills)]],
    )
    phone = person.phones[0].value if person.phones else None
    lines = _resume_header(person, current, person.emails[0].value, phone)
    lines += ["SUMMARY", summary, "", "EXPERIENCE"]
    lines += _experience_lines(rng, person, list(reversed(shown)), as_of,
                               target=rng.randint(170, 540))
    lines += ["", "SKILLS", ", ".join(SKILL_NAMES[s] for s in skills), "", "EDUCATION", education]
    return "\n".join(lines)


def _experience_lines(rng: random.Random, person: LogicalPerson, roles: Sequence[_Role],
                      as_of: int, *, target: int) -> list[str]:
    """Role headings with bullets, added round-robin until about ``target`` words."""
    templates = BULLETS[person.family] + GENERIC_BULLETS
    order = rng.sample(templates, len(templates))  # no bullet twice until all were used
    bullets: list[list[str]] = [[] for _ in roles]
    words = 60 + 8 * len(roles)
    i = 0
    while words < target and i < 40:
        template = order[i % len(order)]
        text = "- " + _fill_bullet(rng, template, person.family, person.skills)
        bullets[i % len(roles)].append(text)
        words += len(text.split())
        i += 1
    lines = []
    for role, items in zip(roles, bullets):
        end = "Present" if role.end is None or role.end > as_of else str(role.end)
        lines += [f"{role.title}, {role.company} ({role.start} - {end})", *items]
    return lines


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------


@dataclass
class _Profile:
    """What the builder knows about a human beyond their candidate record."""

    roles: list[_Role]
    education: str


class _Builder:
    """Accumulates people, applications and their history for one ``generate`` call."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng, self.now = rng, now
        self.start = now - timedelta(days=365 * YEARS_OF_HISTORY)
        users = build_users(now)
        self.ds = Dataset(
            seed=0, now=now, users=users, jobs=build_jobs(rng, now, users),
            sources=build_sources(), rejection_reasons=build_rejection_reasons(),
        )
        self.reason_ids = {r.name: r.id for r in self.ds.rejection_reasons}
        self.emails: set[str] = set()
        self.profiles: dict[int, _Profile] = {}
        self.humans = 0
        self.duplicate_quota = 0.5

    # -- ids ------------------------------------------------------------------------------

    def next_id(self, items: list) -> int:
        """The next id for a list whose ids run 1, 2, 3, …"""
        return len(items) + 1

    # -- people -----------------------------------------------------------------------------

    def _pick_name(self) -> tuple[str, str]:
        """A first and last name, usually from the same culture."""
        rng = self.rng
        firsts, lasts = rng.choice(NAMES)
        if rng.random() < 0.12:
            lasts = rng.choice(NAMES)[1]
        return rng.choice(firsts), rng.choice(lasts)

    def _email_for(self, first: str, last: str, company: str | None) -> Contact:
        """A unique email derived from the name, personal or at the current employer."""
        rng = self.rng
        given, surname = _slug(first), _slug(last)
        local = _weighted(rng, (f"{given}.{surname}", f"{given}{surname}", f"{given[0]}.{surname}",
                                f"{given}_{surname}", f"{surname}.{given}"),
                          (50, 15, 15, 10, 10))
        work = company is not None and rng.random() < 0.2
        domain = f"{_slug(company)}.example" if work else rng.choice(PERSONAL_DOMAINS)
        email = f"{local}@{domain}"
        while email.lower() in self.emails:
            email = f"{local}{rng.randint(2, 99)}@{domain}"
        self.emails.add(email.lower())
        return Contact(email, "work" if work else "personal")

    def _phone(self, city: int) -> Contact:
        """A phone number written the way people type them."""
        rng, prefix = self.rng, LOCATIONS[city][2]
        digits = f"{rng.randint(200, 999)} {rng.randint(1000, 9999)}"
        if prefix.startswith("+1 ") and rng.random() < 0.5:
            area = prefix[3:]
            value = rng.choice((f"({area}) 555-{digits[4:]}", f"{area}-555-{digits[4:]}"))
        else:
            value = f"{prefix} {digits}"
        return Contact(value, _weighted(rng, ("mobile", "home", "work"), (70, 20, 10)))

    def _career(self, family: str, seniority: int, first_year: int) -> list[_Role]:
        """Two to four roles ending with the current one."""
        rng = self.rng
        count = min(1 + seniority, rng.randint(2, 4))
        year = first_year
        roles = []
        for i in range(count):
            level = max(0, seniority - (count - 1 - i))
            title = rng.choice(TITLES[family][level])
            end = min(year + rng.randint(1, 4), self.now.year)
            last = i == count - 1 or end >= self.now.year
            roles.append(_Role(title, rng.choice(COMPANIES), year, None if last else end))
            if last:
                break
            year = end
        return roles

    def pick_skills(self, family: str, must: Sequence[str] = ()) -> list[str]:
        """Five to nine skills from the family vocabulary, the ``must`` ones first."""
        vocab = FAMILY_SKILLS[family]
        picked = list(must)
        while len(picked) < self.rng.randint(5, 9):
            skill = _weighted(self.rng, [s for s, _ in vocab], [w for _, w in vocab])
            if skill not in picked:
                picked.append(skill)
        return picked

    def new_person(self, family: str, seniority: int, *, first: str | None = None,
                   last: str | None = None, city: int | None = None) -> LogicalPerson:
        """A candidate record with contacts, career, skills and tags."""
        rng = self.rng
        if first is None or last is None:
            first, last = self._pick_name()
        city = rng.randrange(len(LOCATIONS)) if city is None else city
        first_year = self.now.year - rng.randint(1 + 2 * seniority, 4 + 3 * seniority)
        roles = self._career(family, seniority, first_year)
        person = LogicalPerson(
            id=self.next_id(self.ds.people), first_name=first, last_name=last, family=family,
            seniority=seniority, city=LOCATIONS[city][0], skills=self.pick_skills(family),
        )
        if rng.random() > 0.05:
            person.title, person.company = roles[-1].title, roles[-1].company
        self._add_contacts(person, city)
        person.tags = self._skill_tags(person.skills)
        person.preferred_name = PREFERRED_NAMES.get(first) if rng.random() < 0.5 else None
        education = f"{rng.choice(DEGREES[family])}, {rng.choice(UNIVERSITIES)}, {first_year}"
        self.profiles[person.id] = _Profile(roles, education)
        self.ds.people.append(person)
        return person

    def _add_contacts(self, person: LogicalPerson, city: int) -> None:
        """Emails, phones, addresses, websites, social profiles and a few custom fields."""
        rng = self.rng
        person.emails = [self._email_for(person.first_name, person.last_name, person.company)]
        work = (f"{_slug(person.first_name)[0]}{_slug(person.last_name)}"
                f"@{_slug(person.company or '')}.example")
        if rng.random() < 0.15 and person.company and work not in self.emails:
            self.emails.add(work)
            person.emails.append(Contact(work, "work"))
        if rng.random() < 0.55:
            person.phones = [self._phone(city)]
        if rng.random() < 0.3:
            address = rng.choice(LOCATIONS[city][1])
            person.addresses = [Contact(address, rng.choice(("home", "other")))]
        handle = f"{_slug(person.first_name)}-{_slug(person.last_name)}"
        if rng.random() < 0.4:
            person.social = [Contact(f"linkedin.com/in/{handle}-{rng.randint(10, 999)}")]
        if person.family in ("design", "engineering") and rng.random() < 0.3:
            site = f"{handle}.example" if person.family == "design" else f"github.com/{handle}"
            person.websites = [Contact(site, "portfolio")]
        person.time_zone = LOCATIONS[city][3] if rng.random() < 0.4 else None
        person.can_email = rng.random() > 0.03
        if rng.random() < 0.1:
            person.desired_salary = str(rng.randrange(60, 260) * 1000)
            person.work_remotely = rng.random() < 0.6

    def _skill_tags(self, skills: Sequence[str]) -> list[str]:
        """Up to four tags from the person's taggable skills (a quarter get none)."""
        if self.rng.random() < 0.25:
            return []
        taggable = [SKILL_NAMES[s] for s in skills if s in TAGGABLE]
        return taggable[: self.rng.randint(1, 4)]

    # -- jobs and times -------------------------------------------------------------------------

    def _job_weight(self, job: LogicalJob, family: str, seniority: int) -> float:
        """How likely a person applies to a job: family fit times how long it was open."""
        if job.family == family:
            fit = 1.0
        elif job.family in NEIGHBOURS[family]:
            fit = 0.08
        else:
            fit = 0.005
        if job.requisition_id.startswith("EXEC"):
            fit *= 0.25 if seniority >= 3 else 0.01
        end = job.closed_at or self.now
        return fit * max(1.0, (end - job.opened_at).days)

    def pick_jobs(self, family: str, seniority: int, count: int, *,
                  open_only: bool = False) -> list[LogicalJob]:
        """``count`` distinct jobs (at most as many as there are), weighted by fit."""
        jobs = [j for j in self.ds.jobs if j.closed_at is None or not open_only]
        picked: list[LogicalJob] = []
        for _ in range(min(count, len(jobs))):
            weights = [self._job_weight(j, family, seniority) for j in jobs]
            job = _weighted(self.rng, jobs, weights)
            jobs.remove(job)
            picked.append(job)
        return picked

    def apply_time(self, job: LogicalJob, *, within_days: float | None = None) -> datetime:
        """A moment inside the job's open window (or its last ``within_days``), in working hours."""
        end = job.closed_at or self.now
        begin = job.opened_at
        if within_days is not None:
            begin = max(begin, end - timedelta(days=within_days))
        moment = begin + (end - begin) * self.rng.random()
        moment = moment.replace(hour=self.rng.randint(6, 22), minute=self.rng.randint(0, 59),
                                second=self.rng.randint(0, 59))
        moment = max(job.opened_at + timedelta(hours=1), min(moment, end - timedelta(hours=2)))
        return _stamp(self.rng, moment)

    # -- applications ---------------------------------------------------------------------------

    def _path(self, furthest: int) -> list[int]:
        """Stage positions visited up to ``furthest`` (middle stages skipped now and then)."""
        path = [0]
        for s in range(1, furthest + 1):
            if s < furthest and s in (2, 3) and self.rng.random() < 0.12:
                continue
            path.append(s)
        return path

    def _durations(self, path: Sequence[int]) -> list[timedelta]:
        """How long each visited stage lasts (review sometimes waits in a backlog)."""
        rng = self.rng
        spans = [timedelta(days=rng.uniform(*STAGE_DAYS[s]), minutes=rng.randint(0, 600))
                 for s in path]
        if rng.random() < REVIEW_BACKLOG_SHARE:
            spans[0] += timedelta(days=rng.uniform(10, 45))
        return spans

    def _walk(self, job: LogicalJob, created: datetime, path: Sequence[int],
              durations: Sequence[timedelta]) -> tuple[list[LogicalStageVisit], str]:
        """Stage visits from ``created``; stops at ``now`` (open) or when the job closes."""
        limit = min(self.now, job.closed_at or self.now)
        visits, moment = [], created
        for s, spent in zip(path, durations):
            exit_at = _stamp(self.rng, moment + spent)
            stage_id = job.stages[s].id
            if exit_at >= limit:
                if job.closed_at and job.closed_at < self.now:
                    visits.append(LogicalStageVisit(stage_id, moment, job.closed_at))
                    return visits, "job_closed"
                visits.append(LogicalStageVisit(stage_id, moment, None))
                return visits, "open"
            visits.append(LogicalStageVisit(stage_id, moment, exit_at))
            moment = exit_at
        return visits, "done"

    def new_application(self, person: LogicalPerson, job: LogicalJob, created: datetime,
                        source_id: int) -> LogicalApplication:
        """An application with its stage history, outcome, scorecards, resume and offers."""
        rng = self.rng
        referred = source_id in REFERRAL_SOURCE_IDS
        furthest = _weighted(rng, range(6), FUNNEL_REFERRED if referred else FUNNEL)
        path = self._path(furthest)
        visits, ending = self._walk(job, created, path, self._durations(path))
        app = self.application_row(person, job, created, source_id)
        app.visits = visits
        if ending == "open":
            self._keep_open(app)
        elif ending == "job_closed":
            self.reject(app, job, "Hiring freeze" if job.freeze else "Hired another candidate")
        elif furthest == 5 and rng.random() < OFFER_ACCEPT_SHARE:
            self.hire(app)
        else:
            self.reject(app, job, self._reason_for(path[-1]))
        self.ds.applications.append(app)
        self.finish_application(person, job, app)
        return app

    def application_row(self, person: LogicalPerson, job: LogicalJob, created: datetime,
                         source_id: int) -> LogicalApplication:
        """The application fields that do not depend on its outcome."""
        rng = self.rng
        app = LogicalApplication(
            id=self.next_id(self.ds.applications), person_id=person.id, job_id=job.id,
            prospect=False, status="open", created_at=created, source_id=source_id,
        )
        app.recruiter_id = job.recruiter_ids[0] if rng.random() < 0.85 else None
        if job.coordinator_ids and rng.random() < 0.4:
            app.coordinator_id = job.coordinator_ids[0]
        if rng.random() < 0.8:
            app.location = rng.choice(
                next(loc[1] for loc in LOCATIONS if loc[0] == person.city) + (person.city,))
        app.visa_sponsorship = _weighted(rng, (False, True, None), (60, 15, 25))
        app.answers = self._answers(person, source_id)
        return app

    def _answers(self, person: LogicalPerson, source_id: int) -> list[tuple[str, str]]:
        """Free-text answers to the job post's questions."""
        rng, answers = self.rng, []
        if rng.random() < 0.3:
            source = next(s for s in self.ds.sources if s.id == source_id).name
            answers.append(("How did you hear about this job?",
                            "Referred by a friend" if source_id == 7 else source))
        if person.social and rng.random() < 0.5:
            answers.append(("LinkedIn Profile", f"https://www.{person.social[0].value}"))
        if person.family == "design" and person.websites:
            answers.append(("Portfolio URL", f"https://{person.websites[0].value}"))
        return answers

    def _reason_for(self, position: int) -> str | None:
        """A rejection reason that fits the stage the application stopped at."""
        names = [r[0] for r in REJECTION_REASONS] + [None]
        return _weighted(self.rng, names, REASON_WEIGHTS[position])

    def _keep_open(self, app: LogicalApplication) -> None:
        """An in-process application: last activity somewhere in its current stage."""
        entered = app.visits[-1].entered_at
        app.status = "open"
        app.last_activity_at = _stamp(self.rng, entered + (self.now - entered) * self.rng.random())

    def reject(self, app: LogicalApplication, job: LogicalJob, reason: str | None) -> None:
        """Close the application as rejected at the end of its last visit."""
        app.status = "rejected"
        app.rejected_at = app.visits[-1].exited_at
        app.rejection_reason_id = self.reason_ids[reason] if reason else None
        app.rejected_by_id = app.recruiter_id or job.recruiter_ids[0]
        notes = REJECTION_NOTES.get(reason or "")
        if notes and self.rng.random() < 0.4:
            app.rejection_note = self.rng.choice(notes)
        app.last_activity_at = app.rejected_at

    def hire(self, app: LogicalApplication) -> None:
        """Close the application as hired when the offer stage ends."""
        app.status = "hired"
        app.hired_at = app.visits[-1].exited_at
        app.last_activity_at = app.hired_at

    # -- what hangs off an application ------------------------------------------------------------

    def finish_application(self, person: LogicalPerson, job: LogicalJob,
                            app: LogicalApplication, ratings: Sequence[str] = (), *,
                            story: bool = False) -> None:
        """Scorecards, offers and files for an application whose history is set."""
        self._add_scorecards(job, app, ratings, story=story)
        self._add_offers(app)
        self._add_files(person, job, app)

    def _verdict(self, app: LogicalApplication, index: int) -> str:
        """How interviewers felt at the ``index``-th visit, given what happened next."""
        if index < len(app.visits) - 1 or app.status == "hired":
            return "advanced"
        if app.status == "open":
            return "pending"
        reason = self.ds.reason(app.rejection_reason_id).name if app.rejection_reason_id else None
        if reason in NEGATIVE_REASONS:
            return "negative"
        if reason is None or reason in ("Unresponsive", "Location / work authorization",
                                        "Duplicate candidate record"):
            return "mixed"
        return "positive"

    def _interviewers(self, job: LogicalJob, app: LogicalApplication, position: int,
                      count: int) -> list[int]:
        """Who interviews at a stage: recruiter, hiring manager, or a panel."""
        if position == 1:
            return [app.recruiter_id or job.recruiter_ids[0]]
        if position == 2:
            return [self.rng.choice(job.hiring_manager_ids + job.interviewer_ids)]
        panel = job.interviewer_ids + job.hiring_manager_ids
        return self.rng.sample(panel, min(count, len(panel)))

    def _add_scorecards(self, job: LogicalJob, app: LogicalApplication,
                        ratings: Sequence[str] = (), *, story: bool = False) -> None:
        """Cards for each interview that happened, rated to match the outcome.

        Story applications fix the ratings of their last interview stage (``ratings``) and get
        only positive cards elsewhere, so no seed gives a story a stray strong no.
        """
        panel = max((i for i, v in enumerate(app.visits) if 1 <= v.stage_id % 1000 <= 4),
                    default=None)
        for index, visit in enumerate(app.visits):
            position = visit.stage_id % 1000
            forced = ratings if index == panel else ()
            count = len(forced) or self.rng.choice(CARDS_PER_STAGE[position])
            if not count:
                continue
            verdict = "story" if story else self._verdict(app, index)
            for n, interviewer in enumerate(self._interviewers(job, app, position, count)):
                self._add_card(app, visit, interviewer, verdict,
                               forced[n] if n < len(forced) else None)

    def _add_card(self, app: LogicalApplication, visit: LogicalStageVisit, interviewer: int,
                  verdict: str, forced: str | None) -> None:
        """One scorecard inside the visit's time window (a draft if not yet submitted)."""
        rng = self.rng
        end = visit.exited_at or self.now
        interviewed = visit.entered_at + (end - visit.entered_at) * rng.uniform(0.2, 0.7)
        interviewed = interviewed.replace(minute=rng.choice((0, 30)), second=0, microsecond=0)
        if interviewed >= end or interviewed <= visit.entered_at:
            return
        submitted = interviewed + timedelta(hours=rng.uniform(0.5, 30))
        if visit.exited_at is not None and submitted >= end:  # feedback came in before the decision
            submitted = interviewed + (end - interviewed) / 2
        draft = forced is None and (rng.random() < 0.03 or submitted >= end)
        rating = None if draft else (forced or _weighted(rng, RATINGS, RATING_WEIGHTS[verdict]))
        submitter = interviewer if rng.random() < 0.95 else 1
        self.ds.scorecards.append(LogicalScorecard(
            id=self.next_id(self.ds.scorecards), application_id=app.id, stage_id=visit.stage_id,
            interviewer_id=interviewer, submitter_id=None if draft else submitter,
            rating=rating, status="draft" if draft else "complete", interviewed_at=interviewed,
            submitted_at=None if draft else _stamp(rng, submitted),
            notes=None if draft else rng.choice(NOTES[rating]),
        ))
        if not draft and app.status == "open":
            app.last_activity_at = max(app.last_activity_at or submitted, _stamp(rng, submitted))

    def _add_offers(self, app: LogicalApplication) -> None:
        """Offer versions for applications that reached the offer stage."""
        offer_visit = next((v for v in app.visits if v.stage_id % 1000 == 5), None)
        if offer_visit is None:
            return
        reason = self.ds.reason(app.rejection_reason_id) if app.rejection_reason_id else None
        if app.status == "hired":
            statuses = ["accepted"] if self.rng.random() < 0.7 else ["deprecated", "accepted"]
        elif app.status == "open":
            statuses = ["created"]
        elif reason and reason.type == "they_rejected_us":
            statuses = ["rejected"]
        else:
            return
        sent = offer_visit.entered_at + timedelta(days=self.rng.uniform(0.5, 2))
        base = self.rng.randrange(90, 240) * 1000
        for version, status in enumerate(statuses, 1):
            self._add_offer(app, version, status, sent, base + 7000 * (version - 1))

    def _add_offer(self, app: LogicalApplication, version: int, status: str, sent: datetime,
                   salary: int) -> None:
        """One offer version."""
        end = app.closed_at
        resolved = end if status in ("accepted", "rejected") else None
        updated = end if (end and status != "created") else sent
        self.ds.offers.append(LogicalOffer(
            id=self.next_id(self.ds.offers), application_id=app.id, version=version,
            status=status, sent_on=(sent + timedelta(days=version - 1)).date(),
            starts_on=(sent + timedelta(days=self.rng.randint(14, 45))).date(),
            resolved_at=resolved, salary=f"USD {salary:,}",
            created_at=_stamp(self.rng, sent - timedelta(hours=2)), updated_at=updated,
        ))

    def _add_files(self, person: LogicalPerson, job: LogicalJob | None,
                   app: LogicalApplication) -> None:
        """A resume (most applications), sometimes a cover letter, a signed offer when hired."""
        rng = self.rng
        if rng.random() < (0.45 if app.prospect else 0.9):
            text = write_resume(rng, person, self.profiles[person.id].roles,
                                self.profiles[person.id].education, app.created_at.year)
            self._add_file(person, app, "resume", self._resume_name(person, app), text,
                           app.created_at - timedelta(seconds=rng.uniform(0.05, 2)))
        if job and rng.random() < 0.07:
            text = _cover_letter(person, job)
            name = f"{fold_ascii(person.name).replace(' ', '_')}_Cover_Letter.pdf"
            self._add_file(person, app, "cover_letter", name, text, app.created_at)
        if job and app.status == "hired":
            text = f"Offer letter\n{person.name}\n{job.title}\nSigned and accepted."
            name = f"{fold_ascii(person.name).replace(' ', '_')}_Offer_Letter_Signed.pdf"
            self._add_file(person, app, "signed_offer_letter", name, text, app.hired_at)

    def _add_file(self, person: LogicalPerson, app: LogicalApplication, kind: str, name: str,
                  text: str, created: datetime) -> None:
        """Record one uploaded file."""
        self.ds.resumes.append(LogicalResume(
            id=self.next_id(self.ds.resumes), person_id=person.id, application_id=app.id,
            filename=name, kind=kind, text=text, created_at=_stamp(self.rng, created),
        ))

    def _resume_name(self, person: LogicalPerson, app: LogicalApplication) -> str:
        """A resume filename in one of the ways people name them."""
        first, last = fold_ascii(person.first_name), fold_ascii(person.last_name)
        return self.rng.choice((
            f"{first}_{last}_Resume_{app.created_at.year}.pdf",
            f"{first.lower()}-{last.lower()}-resume.PDF".replace(" ", "-"),
            f"{person.first_name} {person.last_name} - Resume.pdf",
            f"{last} CV.pdf",
            "resume.pdf",
        ))

    # -- prospects ----------------------------------------------------------------------------

    def new_prospect_application(self, person: LogicalPerson,
                                 created: datetime) -> LogicalApplication:
        """A prospect entry: no job, maybe a job in mind, no stages."""
        rng = self.rng
        app = LogicalApplication(
            id=self.next_id(self.ds.applications), person_id=person.id, job_id=None,
            prospect=True, status="open", created_at=created, last_activity_at=created,
            source_id=_weighted(rng, [s[0] for s in SOURCES], SOURCE_WEIGHTS["prospect"]),
        )
        open_jobs = [j for j in self.ds.jobs if j.closed_at is None and not j.confidential]
        if rng.random() < 0.3 and open_jobs:
            app.prospective_job_ids = [rng.choice(open_jobs).id]
        self.ds.applications.append(app)
        self._add_files(person, None, app)
        return app


def _cover_letter(person: LogicalPerson, job: LogicalJob) -> str:
    """A short cover letter."""
    skills = ", ".join(SKILL_NAMES[s] for s in person.skills[:3])
    return (
        f"Dear hiring team,\n\nI am excited to apply for the {job.title} role. "
        f"Over the past years I have worked with {skills} and I would love to bring that "
        f"experience to your team.\n\nBest regards,\n{person.name}"
    )


# ---------------------------------------------------------------------------------------------
# Random people
# ---------------------------------------------------------------------------------------------


def _source_for(builder: _Builder, job: LogicalJob, created: datetime) -> int:
    """A source that fits the job and the era (old applications were imported)."""
    if job.requisition_id.startswith("EXEC"):
        key = "exec"
    elif created < builder.start + timedelta(days=365):
        key = "legacy"
    else:
        key = "application"
    return _weighted(builder.rng, [s[0] for s in SOURCES], SOURCE_WEIGHTS[key])


def _add_random_person(builder: _Builder) -> None:
    """One human: usually applications, sometimes only a prospect entry or nothing at all."""
    rng = builder.rng
    family = _weighted(rng, FAMILIES, FAMILY_WEIGHTS)
    seniority = _weighted(rng, range(5), (12, 34, 30, 18, 6))
    person = builder.new_person(family, seniority)
    person.private = rng.random() < 0.02
    roll = rng.random()
    if roll < 0.03:
        created = builder.now - timedelta(days=rng.uniform(5, 900))
        builder.new_prospect_application(person, _stamp(rng, created))
    elif roll < 0.04:
        person.tags = [*person.tags, "Import from Previous ATS"]
        person.created_at = builder.start + timedelta(days=rng.uniform(0, 200))
    else:
        count = _weighted(rng, (1, 2, 3), (70, 22, 8))
        # A running quota rather than a coin flip keeps the share steady for every seed.
        builder.duplicate_quota += DUPLICATE_SHARE * rng.uniform(0.5, 1.5)
        duplicate = builder.duplicate_quota >= 1
        builder.duplicate_quota -= duplicate
        _add_random_applications(builder, person, max(count, 2 if duplicate else 1))
        if duplicate:
            _split_duplicate(builder, person)
    builder.humans += 1


def _plan_applications(builder: _Builder, person: LogicalPerson,
                       count: int) -> list[tuple[datetime, LogicalJob]]:
    """When and where a person applies, oldest first; some applied in the last weeks."""
    recent = builder.rng.random() < RECENT_APPLICANT_SHARE
    jobs = builder.pick_jobs(person.family, person.seniority, count - recent)
    planned = [(builder.apply_time(job), job) for job in jobs]
    if recent:
        fresh = builder.pick_jobs(person.family, person.seniority, 1, open_only=True)
        planned += [(builder.apply_time(job, within_days=40), job) for job in fresh
                    if job not in jobs]
    return sorted(planned, key=lambda p: p[0])


def _add_random_applications(builder: _Builder, person: LogicalPerson, count: int) -> None:
    """Applications to fitting jobs, oldest first, none after a hire."""
    for created, job in _plan_applications(builder, person, count):
        app = builder.new_application(person, job, created, _source_for(builder, job, created))
        if app.status == "hired":
            return
    if builder.rng.random() < 0.03:
        created = builder.now - timedelta(days=builder.rng.uniform(5, 400))
        builder.new_prospect_application(person, _stamp(builder.rng, created))


def _split_duplicate(builder: _Builder, person: LogicalPerson) -> None:
    """Move the person's last application to a second record with the same email re-cased."""
    rng = builder.rng
    apps = builder.ds.applications_of(person.id)
    if len(apps) < 2:
        return
    twin = LogicalPerson(
        id=builder.next_id(builder.ds.people), first_name=person.first_name,
        last_name=person.last_name, family=person.family, seniority=person.seniority,
        title=person.title, company=person.company, city=person.city, skills=person.skills,
        same_as=person.id, emails=[Contact(_recase(rng, person.emails[0].value),
                                           rng.choice(("personal", "work", "other")))],
    )
    if person.phones and rng.random() < 0.7:
        twin.phones = [Contact(_reformat_phone(person.phones[0].value), "mobile")]
    builder.profiles[twin.id] = builder.profiles[person.id]
    builder.ds.people.append(twin)
    moved = apps[-1]
    moved.person_id = twin.id
    for file in builder.ds.resumes:
        if file.application_id == moved.id:
            builder.ds.resumes[file.id - 1] = replace(file, person_id=twin.id)


def _recase(rng: random.Random, email: str) -> str:
    """The same address as a person might retype it: other case, stray whitespace."""
    local, _, domain = email.partition("@")
    local = ".".join(part.capitalize() for part in local.split("."))
    variant = _weighted(rng, (f"{local}@{domain.capitalize()}", f"{local}@{domain} ",
                              f" {email.upper()}", f"{local}@{domain.upper()}"), (40, 30, 10, 20))
    return variant if variant != email else f"{email} "


def _reformat_phone(value: str) -> str:
    """The same digits written differently."""
    digits = "".join(c for c in value if c.isdigit())
    return "-".join((digits[:-7], digits[-7:-4], digits[-4:])) if len(digits) > 7 else value


# ---------------------------------------------------------------------------------------------
# Story people
# ---------------------------------------------------------------------------------------------


def _add_story(builder: _Builder, story: StoryPerson) -> None:
    """One hand-placed person with fixed applications relative to ``now``."""
    person = builder.new_person(story.family, story.seniority, first=story.first,
                                last=story.last, city=story.city)
    person.story, person.private = story.slug, story.private
    person.title, person.company = story.title, story.company
    current = builder.profiles[person.id].roles[-1]
    current.title, current.company = story.title, story.company
    person.skills = builder.pick_skills(story.family, story.skills)
    person.tags = list(story.tags)
    person.emails = [Contact(story.email, "personal")]
    builder.emails.add(story.email.strip().lower())
    if story.prospect:
        created = _stamp(builder.rng, builder.now - timedelta(days=61))
        builder.new_prospect_application(person, created)
    for spec in story.applications:
        _add_story_application(builder, person, spec)
    if story.duplicate_email:
        _split_duplicate(builder, person)
        builder.ds.people[-1].emails = [Contact(story.duplicate_email, "personal")]
    builder.humans += 1


def _add_story_application(builder: _Builder, person: LogicalPerson,
                           spec: StoryApplication) -> None:
    """A story application whose stages are laid out backwards from its end."""
    job = builder.ds.job(spec.job)
    end = (builder.now - timedelta(days=spec.ends_days_ago)).replace(hour=16, minute=5, second=0)
    path = list(range(spec.furthest + 1))
    spans = [timedelta(days=6 + (s * 3) % 5, hours=2 * s) for s in path]
    still_open = spec.outcome == "open"
    # ``end`` is when the last stage was left or, for an open application, entered.
    created = end - sum(spans[:-1], timedelta()) - (timedelta() if still_open else spans[-1])
    app = builder.application_row(person, job, created, spec.source_id)
    moment = created
    for s, spent in zip(path, spans):
        exit_at = None if (s == path[-1] and still_open) else moment + spent
        app.visits.append(LogicalStageVisit(job.stages[s].id, moment, exit_at))
        moment += spent
    _close_story_application(builder, job, app, spec)
    builder.ds.applications.append(app)
    builder.finish_application(person, job, app, spec.final_ratings, story=True)


def _close_story_application(builder: _Builder, job: LogicalJob, app: LogicalApplication,
                             spec: StoryApplication) -> None:
    """Apply the story's outcome."""
    app.recruiter_id = job.recruiter_ids[0]
    if spec.outcome == "hired":
        builder.hire(app)
    elif spec.outcome == "rejected":
        builder.reject(app, job, spec.reason)
    else:
        app.status = "open"
        app.last_activity_at = app.visits[-1].entered_at


# ---------------------------------------------------------------------------------------------
# Finishing touches
# ---------------------------------------------------------------------------------------------


def _finish_people(ds: Dataset, rng: random.Random) -> None:
    """Record timestamps from applications, silver-medalist tags, and the tag list."""
    by_person: dict[int, list[LogicalApplication]] = {}
    for app in ds.applications:
        by_person.setdefault(app.person_id, []).append(app)
    hired_another = next(r.id for r in ds.rejection_reasons if r.name == "Hired another candidate")
    for person in ds.people:
        apps = by_person.get(person.id, [])
        if apps:
            person.created_at = _stamp(rng, min(a.created_at for a in apps) - timedelta(seconds=1))
            person.last_activity_at = max(a.last_activity_at or a.created_at for a in apps)
        else:
            person.last_activity_at = person.created_at
        person.updated_at = person.last_activity_at + timedelta(milliseconds=rng.randint(0, 900))
        silver = any(a.rejection_reason_id == hired_another and (a.furthest_sort_order or 0) >= 4
                     for a in apps)
        if silver and not person.story and rng.random() < 0.3:
            person.tags = [*person.tags, "Silver Medalist"]
    names = sorted({t for p in ds.people for t in p.tags}, key=str.lower)
    ds.tags = [LogicalTag(i, name) for i, name in enumerate(names, 1)]


def generate(n_people: int, *, seed: int = 7, now: datetime = DEFAULT_NOW) -> Dataset:
    """Build ``n_people`` humans (story people first) and their whole hiring history."""
    if n_people < 0:
        raise ValueError("n_people must be >= 0")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(timezone.utc)
    rng = random.Random(seed)
    builder = _Builder(rng, now)
    for story in STORIES[:n_people]:
        _add_story(builder, story)
    while builder.humans < n_people:
        _add_random_person(builder)
    ds = builder.ds
    ds.seed = seed
    _finish_people(ds, rng)
    return ds
