"""Rows of the synthetic set for every table but the hours: units and their policies from the plan, then
one pass over the volunteers that yields the people rows and keeps the rows of the other person tables
(memberships, training, record books and requests, insurance) in spools on disk.

Each generator yields tuples in the order of its COLUMNS; the loader adds the columns whose value is the
model's default (version, timestamps, empty strings), so a row here names only what varies.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from portal.platform.dates import roc_year
from portal.registry.catalog import COUNTY_BY_CODE, FIELD_BY_CODE

from .people import Profile, Roles, profile
from .plan import Plan, UnitPlan
from .spool import Spool

# Names of units per field: (Chinese, English) kinds of organisation.
UNIT_KINDS = {
    "social": [("社區關懷據點", "Community Care Point"), ("老人福利協會", "Senior Welfare Association"),
               ("家庭服務中心", "Family Service Centre"), ("社會福利基金會", "Social Welfare Foundation")],
    "health": [("醫院志工隊", "Hospital Volunteers"), ("衛生所志工隊", "Public Health Centre Volunteers")],
    "education": [("國民小學", "Elementary School"), ("國民中學", "Junior High School"),
                  ("公共圖書館", "Public Library")],
    "environment": [("環保志工隊", "Environmental Volunteer Corps"), ("社區清潔隊", "Community Clean-up Team")],
    "culture": [("文化中心", "Cultural Centre"), ("博物館", "Museum")],
    "rescue": [("義勇消防隊", "Volunteer Fire Brigade")],
    "traffic": [("交通義勇隊", "Traffic Volunteer Corps")],
}
DEFAULT_KIND = ("志願服務協會", "Volunteer Service Association")
FIELD_ABBR = {"social": "SOC", "education": "EDU", "counseling": "CNS", "culture": "CUL", "science": "SCI",
              "sports": "SPO", "rescue": "RSC", "traffic": "TRF", "environment": "ENV", "health": "HEA",
              "cooperative": "COP", "economy": "ECO", "research": "RSH", "manpower": "MAN", "joint": "JNT",
              "promotion": "PRO"}
BOOK_NUMBERS = "record_book"    # the NumberSequence names records.operations and honor_cards.operations count
CARD_NUMBERS = "honor_card"

UNIT_COLUMNS = ("id", "code", "name", "name_en", "county_code", "field_code", "sector", "sector_authority_id")
UNIT_FIELD_COLUMNS = ("unit_id", "field_code")
POLICY_COLUMNS = ("id", "unit_id", "authority_id", "insurer_code", "insurer_name", "policy_no", "starts_on",
                  "ends_on", "cover_note")
PEOPLE_COLUMNS = ("id", "name", "name_latin", "id_kind", "id_number", "sex", "birth_date", "phone")
# sort_name: the person's name, as registry.sort_names keeps it (the load writes it with those triggers off).
MEMBERSHIP_COLUMNS = ("id", "person_id", "unit_id", "field_code", "joined_on", "left_on", "status", "sort_name")
TRAINING_COLUMNS = ("id", "person_id", "unit_id", "kind", "field_code", "course_name", "hours", "provider",
                    "completed_on", "effective_on", "certificate_no", "status", "verified_at")
BOOK_COLUMNS = ("id", "person_id", "number", "kind", "edition", "requested_on", "unit_id", "issued_on",
                "authority_id")
BOOK_REQUEST_COLUMNS = ("id", "person_id", "unit_id", "kind", "status", "requested_on")
ENROLMENT_COLUMNS = ("id", "policy_id", "person_id", "unit_id", "starts_on", "ends_on")
SIX_HOURS = Decimal("6.0")      # docs/rules/training.md#t2
COVER_NOTE = "意外身故及失能 100 萬元、意外醫療 3 萬元"
COUNTY_INSURER = ("first", "第一產物保險", 80)   # county policies take those over a unit insurer's age cap


@dataclass
class Layout:
    """Where the rows go: the ids each table starts from, the units' and authorities' ids, the counters of
    record-book and honor-card numbers."""
    plan: Plan
    roles: Roles
    next_ids: dict
    county_authority: dict                    # county code -> authority id
    sector_authority: dict                    # (county, field) -> authority id
    unit_policy: dict = field(default_factory=dict)     # unit index -> policy id
    county_policy: dict = field(default_factory=dict)   # county code -> policy id
    numbers: dict = field(default_factory=dict)         # (name, county, ROC year) -> last number

    def take(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def unit_id(self, unit: UnitPlan) -> int:
        return self.next_ids["units_base"] + unit.index

    def person_id(self, person: Profile) -> int:
        return self.next_ids["people_base"] + person.index

    def number(self, name: str, county: str, day: date) -> tuple[int, int]:
        key = (name, county, roc_year(day))
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return key[2], self.numbers[key]


def unit_rows(layout: Layout):
    counters = {}
    for unit in layout.plan.units:
        county = COUNTY_BY_CODE[unit.county]
        kinds = UNIT_KINDS.get(unit.field, [DEFAULT_KIND])
        name, name_en = kinds[unit.index % len(kinds)]
        n = counters[(unit.county, unit.field)] = counters.get((unit.county, unit.field), 0) + 1
        yield (layout.unit_id(unit), f"{unit.county}-{FIELD_ABBR[unit.field]}-{n:04d}", f"{county.name}{name}第{n}隊",
               f"{county.name_en} {name_en} Team {n}", unit.county, unit.field, "public" if unit.public else "private",
               layout.sector_authority[(unit.county, unit.field)])


def unit_field_rows(layout: Layout):
    for unit in layout.plan.units:
        if unit.extra_field:
            yield layout.unit_id(unit), unit.extra_field


def policy_rows(layout: Layout):
    """One policy for this calendar year per insured unit, and one per county for the older volunteers."""
    year = layout.plan.today.year
    start, end = date(year, 1, 1), date(year, 12, 31)
    for unit in layout.plan.units:
        if unit.insurer:
            code, name, _ = unit.insurer
            policy = layout.unit_policy[unit.index] = layout.take("insurance_policies")
            yield (policy, layout.unit_id(unit), None, code, name, f"{code.upper()}-{year}-{policy:06d}", start, end,
                   COVER_NOTE)
    for county in sorted({u.county for u in layout.plan.units}):
        policy = layout.county_policy[county] = layout.take("insurance_policies")
        yield (policy, None, layout.county_authority[county], COUNTY_INSURER[0], COUNTY_INSURER[1],
               f"{county}-{year}-{policy:06d}", start, end, COVER_NOTE)


class PeoplePass:
    """Yields the people rows; fills the spools of the other person tables on the way."""

    def __init__(self, layout: Layout, spools: dict[str, Spool]):
        self.layout, self.spools = layout, spools
        self.cover_from = date(layout.plan.today.year, 1, 1)

    def rows(self):
        plan, layout = self.layout.plan, self.layout
        for index in range(plan.volunteers):
            person = profile(plan, index, layout.roles)
            pid = layout.person_id(person)
            self.memberships(person, pid)
            self.training(person, pid)
            self.book(person, pid)
            self.insurance(person, pid)
            yield (pid, person.name, person.name_latin, "national", person.id_number, person.sex, person.birth,
                   person.phone)

    def memberships(self, person: Profile, pid: int):
        spool = self.spools["memberships"]
        for s in person.serves:
            spool.add((self.layout.take("memberships"), pid, self.layout.unit_id(s.unit), s.field, s.joined, s.left,
                       s.status, person.name))

    def training(self, person: Profile, pid: int):
        spool, layout = self.spools["training_records"], self.layout
        home = person.home.unit
        county = COUNTY_BY_CODE[home.county]
        if person.basic_on:
            day = person.basic_on
            spool.add((layout.take("training_records"), pid, layout.unit_id(home), "basic", None, "志願服務基礎訓練",
                       SIX_HOURS, f"{county.name}志願服務推廣中心", day, day, f"{roc_year(day)}-B{pid:07d}", "verified",
                       _verified_at(day)))
            for n, (field_code, day) in enumerate(sorted(person.special_on.items())):
                unit = next((s.unit for s in person.serves if s.field == field_code), home)
                spool.add((layout.take("training_records"), pid, layout.unit_id(unit), "special", field_code,
                           f"{FIELD_BY_CODE[field_code].name}特殊訓練", SIX_HOURS, f"{county.name}志願服務推廣中心", day,
                           day, f"{roc_year(day)}-S{pid:07d}{n}", "verified", _verified_at(day)))
        elif person.pending_basic:
            day = person.pending_basic
            spool.add((layout.take("training_records"), pid, layout.unit_id(home), "basic", None, "志願服務基礎訓練",
                       SIX_HOURS, f"{county.name}志願服務推廣中心", day, day, f"{roc_year(day)}-B{pid:07d}", "pending",
                       None))

    def book(self, person: Profile, pid: int):
        layout, home = self.layout, person.home.unit
        if person.book_on:
            day = person.book_on
            year, n = layout.number(BOOK_NUMBERS, home.county, day)
            self.spools["record_books"].add((
                layout.take("record_books"), pid, f"{home.county}-{year:03d}-{n:06d}", "first", 1,
                day - timedelta(days=7), layout.unit_id(home), day, layout.county_authority[home.county]))
        elif person.book_request_on:
            self.spools["record_book_requests"].add((layout.take("record_book_requests"), pid, layout.unit_id(home),
                                                     "first", "pending", person.book_request_on))

    def insurance(self, person: Profile, pid: int):
        """docs/rules/insurance.md#i2: under the insurer's age cap on the first day of cover, else the county's."""
        layout = self.layout
        age = person.age_on(self.cover_from)
        for s in person.serves:
            if s.left is not None:
                continue
            if s.unit.insurer and age < s.unit.insurer[2]:
                policy = layout.unit_policy[s.unit.index]
            elif age < COUNTY_INSURER[2] and s is person.home:
                policy = layout.county_policy[s.unit.county]
            else:
                continue
            self.spools["insurance_enrolments"].add((
                layout.take("insurance_enrolments"), policy, pid, layout.unit_id(s.unit),
                max(self.cover_from, s.joined), date(self.cover_from.year, 12, 31)))


def _verified_at(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=7), time(2, 0))


def sequence_rows(layout: Layout):
    """The last record-book and honor-card numbers per county and ROC year, so that the next one issued
    continues after them."""
    for (name, county, year), last in sorted(layout.numbers.items()):
        yield layout.take("number_sequences"), name, county, year, last


SEQUENCE_COLUMNS = ("id", "name", "county_code", "roc_year", "last")
