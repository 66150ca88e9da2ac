"""A demo round shaped like the ministry's 2024 health-and-welfare round (seed minutes, report 1): 41 applying
bodies, 5,360 eligible volunteers, 1,935 on paper (36.1 %) and 3,425 online (63.9 %); 12 bodies fully online,
26 partly, 3 on paper only. `flask --app wsgi demo-data --seed-round-2024` loads it beside the demo data (or
into an empty database); the channel page (awards.channels) then shows exactly those figures.

The bodies are the county social and health bureaus as sector authorities of the two health-and-welfare
fields: 22 social bureaus and 19 health bureaus (the three island counties' health bureaus had no
application). The 12 fully online and 3 paper-only bodies are the ones the minutes name. Each body gets
one unit of its field with the volunteers it applied for; every application is decided (the round
closed in 2024), so each counting one is approved and its award written; a few returned and withdrawn
applications show that those do not count. The applications' hours are real hour entries before the
cut-off (one per year 2019-2023), so the volunteers' records agree with their awards.

Fast: people, memberships, hour entries, applications and awards go in as bulk inserts through the session
(so the summaries' session hooks still see them), a few thousand rows per statement; a few seconds on SQLite.
"""
import math
import random
from datetime import date, datetime

from sqlalchemy import func, insert, select

from portal.awards.models import (
    ApplicationStatus,
    Award,
    AwardApplication,
    AwardRound,
    AwardSource,
    Channel,
    RoundStatus,
    Scheme,
    Tier,
)
from portal.awards.rules import THRESHOLDS
from portal.hours.models import HourEntry
from portal.platform import audit
from portal.platform.extensions import db
from portal.registry.catalog import COUNTY_BY_CODE
from portal.registry.identity import LETTER_CODES
from portal.registry.models import Membership, Person, Unit
from portal.registry.operations import authority_for, create_unit, seed_reference_data

YEAR = 2024
UNIT_PREFIX = "R113-"          # the round's demo units: how a second run recognises the first
ELIGIBLE, PAPER = 5360, 1935
RETURNED, WITHDRAWN = 24, 11   # applications that do not count (docs/rules/awards.md#a10)
CITIES = ("TPE", "NWT", "TAO", "TXG", "TNN", "KHH")    # special municipalities: 市政府…局
# Rough sizes of the counties' volunteer forces (only the proportions matter).
WEIGHTS = {"TPE": 25, "NWT": 40, "TAO": 22, "TXG": 28, "TNN": 18, "KHH": 27, "KEE": 4, "HSZ": 4.5, "HSQ": 5.5,
           "MIA": 5.4, "CHA": 12.5, "NAN": 4.9, "YUN": 6.7, "CYI": 2.6, "CYQ": 4.9, "PIF": 8, "ILA": 4.5,
           "HUA": 3.2, "TTT": 2.1, "PEN": 1, "KIN": 1.4, "LIE": 0.5}
SOCIAL_DIVISIONS = {"YUN", "ILA", "HUA", "TTT", "PEN", "KIN"}       # 社會處 rather than 社會局
NO_HEALTH_BODY = {"PEN", "KIN", "LIE"}
FULLY_ONLINE = {("YUN", "social"), ("CYQ", "social")} | {(c, "health") for c in (
    "TPE", "KHH", "HSQ", "CHA", "YUN", "CYQ", "PIF", "HUA", "KEE", "CYI")}
PAPER_ONLY = {("TPE", "social"), ("ILA", "social"), ("HSZ", "health")}
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴徐周葉蘇莊呂江何蕭羅高"
GIVEN = ("淑芬", "志明", "美玲", "俊傑", "雅婷", "家豪", "怡君", "建宏", "淑惠", "宗翰", "欣怡", "冠宇", "秀英",
         "文雄", "麗華", "承恩", "佩君", "明德", "玉珍", "國華", "惠美", "信宏", "靜宜", "柏翰")
CHUNK = 2000


class AlreadyLoaded(Exception):
    pass


class RoundTaken(Exception):
    pass


def body_name(county: str, field: str) -> tuple[str, str]:
    entry = COUNTY_BY_CODE[county]
    government = "政府" if county in CITIES or field == "social" else ""
    if field == "social":
        office = "社會處" if county in SOCIAL_DIVISIONS else "社會局"
        return f"{entry.name}{government}{office}", f"{entry.name_en} Social Affairs " + (
            "Department" if county in SOCIAL_DIVISIONS else "Bureau")
    return f"{entry.name}{government}衛生局", f"{entry.name_en} Public Health Bureau"


def bodies() -> list[tuple[str, str]]:
    """(county, field) of the 41 bodies: every county's social bureau, and the health bureaus."""
    return [(c, "social") for c in WEIGHTS] + [(c, "health") for c in WEIGHTS if c not in NO_HEALTH_BODY]


def apportion(total: int, weights: list[float]) -> list[int]:
    """Whole numbers in proportion to `weights`, summing exactly to `total` (largest remainders)."""
    exact = [total * w / sum(weights) for w in weights]
    out = [math.floor(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: out[i] - exact[i])[:total - sum(out)]:
        out[i] += 1
    return out


def plan() -> list[dict]:
    """Per body its eligible, online and paper counts, summing to the minutes' figures."""
    keys = bodies()
    sizes = apportion(ELIGIBLE - 8 * len(keys), [WEIGHTS[c] * (1 if f == "social" else 0.6) for c, f in keys])
    sizes = [s + 8 for s in sizes]                                  # no body is tiny
    paper = {k: (s if k in PAPER_ONLY else 0) for k, s in zip(keys, sizes, strict=True)}
    partly = [(k, s) for k, s in zip(keys, sizes, strict=True) if k not in PAPER_ONLY | FULLY_ONLINE]
    # The partly-online bodies share the rest of the paper; each keeps at least one of each channel.
    rest = PAPER - sum(paper.values()) - len(partly)
    for (key, _size), extra in zip(partly, apportion(rest, [s - 2 for _k, s in partly]), strict=True):
        paper[key] = 1 + extra
    rows = [{"county": c, "field": f, "eligible": s, "paper": paper[(c, f)], "online": s - paper[(c, f)]}
            for (c, f), s in zip(keys, sizes, strict=True)]
    assert sum(r["eligible"] for r in rows) == ELIGIBLE and sum(r["paper"] for r in rows) == PAPER
    assert all(0 < r["paper"] < r["eligible"] for r in rows if (r["county"], r["field"]) in
               {k for k, _s in partly})
    return rows


def _id_number(letter: str, serial: int, sex: str) -> str:
    body = ("1" if sex == "M" else "2") + f"{serial % 10_000_000:07d}"
    code = LETTER_CODES[letter]
    total = code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(body, range(8, 0, -1), strict=True))
    return letter + body + str((10 - total % 10) % 10)


def free_id_numbers(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """`count` valid national ID numbers (with the sex they encode) that no one in the database holds."""
    letters = list(LETTER_CODES)
    found: list[tuple[str, str]] = []
    serial = rng.randrange(10_000_000)
    while len(found) < count:
        batch = {}
        while len(batch) < min(CHUNK, count - len(found)):
            serial += 7919
            sex = "F" if serial % 3 else "M"
            batch[_id_number(letters[serial % len(letters)], serial, sex)] = sex
        taken = set(db.session.scalars(select(Person.id_number).where(Person.id_number.in_(list(batch)))))
        found += [(number, sex) for number, sex in batch.items() if number not in taken]
    return found[:count]


def _tier_hours(rng: random.Random) -> tuple[str, int]:
    thresholds = THRESHOLDS[Scheme.HEALTH_WELFARE]
    tier = rng.choices([Tier.BRONZE, Tier.SILVER, Tier.GOLD], [70, 20, 10])[0]
    return tier, thresholds[tier] + rng.randrange(0, 800)


def _chunks(rows: list) -> list[list]:
    return [rows[i:i + CHUNK] for i in range(0, len(rows), CHUNK)]


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    ids = []
    for part in _chunks(rows):
        ids += db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), part).all()
    return ids


def _insert(model, rows: list[dict]):
    for part in _chunks(rows):
        db.session.execute(insert(model), part)


def check_free():
    """Refuse a second load (AlreadyLoaded) and a database that has a 2024 round of its own (RoundTaken)."""
    if db.session.scalar(select(func.count()).select_from(Unit).where(Unit.code.startswith(UNIT_PREFIX))):
        raise AlreadyLoaded()
    taken = db.session.scalar(select(AwardRound).where(AwardRound.scheme == Scheme.HEALTH_WELFARE,
                                                       AwardRound.year == YEAR))
    if taken is not None:
        raise RoundTaken()


def load_round_2024(seed: int = 2024) -> dict:
    """Load the round; raises AlreadyLoaded or RoundTaken instead of writing twice. The caller commits."""
    check_free()
    rng = random.Random(seed)
    seed_reference_data()
    award_round = AwardRound(scheme=Scheme.HEALTH_WELFARE, year=YEAR, cutoff_on=date(YEAR, 5, 31),
                             unit_deadline=date(YEAR, 6, 30), review_deadline=date(YEAR, 7, 31),
                             ministry_deadline=date(YEAR, 8, 31), status=RoundStatus.CLOSED)
    db.session.add(award_round)
    rows = plan()
    units = []
    for row in rows:
        county, field = row["county"], row["field"]
        authority = authority_for("sector_local", county, field)
        name, name_en = body_name(county, field)
        if authority.name != name:      # the registry's generic name ("…社會福利主管機關") becomes the bureau's
            audit.record("registry.authority_rename", authority, before=authority.name, after=name)
            authority.name, authority.name_en = name, name_en
        entry = COUNTY_BY_CODE[county]
        kind = ("志願服務隊", "Volunteer Corps") if field == "social" else ("衛生志工隊", "Health Volunteers")
        units.append(create_unit(f"{UNIT_PREFIX}{county}-{'SW' if field == 'social' else 'HE'}",
                                 f"{entry.name}{kind[0]}", county, field, "public",
                                 name_en=f"{entry.name_en} {kind[1]}"))
    db.session.flush()
    # Who applied, per body: the counting applications, then the returned and withdrawn ones.
    returned = apportion(RETURNED, [r["eligible"] for r in rows])
    withdrawn = apportion(WITHDRAWN, [r["eligible"] for r in rows])
    wanted = []
    for unit, row, back, pulled in zip(units, rows, returned, withdrawn, strict=True):
        wanted += [(unit, Channel.ONLINE, ApplicationStatus.APPROVED)] * row["online"]
        wanted += [(unit, Channel.PAPER, ApplicationStatus.APPROVED)] * row["paper"]
        channel = Channel.PAPER if row["paper"] else Channel.ONLINE
        wanted += [(unit, channel, ApplicationStatus.RETURNED)] * back
        wanted += [(unit, Channel.ONLINE if row["online"] else channel, ApplicationStatus.WITHDRAWN)] * pulled
    numbers = free_id_numbers(len(wanted), rng)
    person_ids = _insert_returning_ids(Person, [
        {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "id_kind": "national", "id_number": number, "sex": sex,
         "birth_date": date(rng.randint(1940, 1995), rng.randint(1, 12), rng.randint(1, 28))}
        for number, sex in numbers])
    _insert(Membership, [{"person_id": pid, "unit_id": unit.id, "field_code": unit.field_code,
                          "joined_on": date(2018, 1, 1), "status": "active"}
                         for pid, (unit, _c, _s) in zip(person_ids, wanted, strict=True)])
    tiers = [_tier_hours(rng) for _ in wanted]
    hours = []
    for pid, (unit, _c, _s), (_tier, half) in zip(person_ids, wanted, tiers, strict=True):
        parts = apportion(half, [1] * 5)
        hours += [{"person_id": pid, "unit_id": unit.id, "start_on": date(y, 1, 1), "end_on": date(y, 12, 31),
                   "field_code": unit.field_code, "half_hours": part, "content": "志願服務",
                   "source": "unit", "status": "active"} for y, part in zip(range(2019, 2024), parts, strict=True)]
    _insert(HourEntry, hours)
    applied = datetime(YEAR, 6, 20, 2, 0)
    decided = datetime(YEAR, 8, 28, 2, 0)
    application_ids = _insert_returning_ids(AwardApplication, [
        {"round_id": award_round.id, "person_id": pid, "unit_id": unit.id, "tier": tier, "half_hours": half,
         "merit": "長期投入社區關懷與健康促進服務。", "channel": channel, "status": status, "applied_at": applied,
         "reviewed_at": decided if status == ApplicationStatus.APPROVED else None,
         "decided_at": decided, "return_reason": "時數證明不全，請補正後再送。" if status == ApplicationStatus.RETURNED
         else ""}
        for pid, (unit, channel, status), (tier, half) in zip(person_ids, wanted, tiers, strict=True)])
    _insert(Award, [{"person_id": pid, "scheme": Scheme.HEALTH_WELFARE, "tier": tier, "year": YEAR,
                     "awarded_on": date(YEAR, 8, 30), "half_hours": half, "source": AwardSource.APPLICATION,
                     "application_id": aid, "issuer": "衛生福利部"}
                    for pid, aid, (_u, _c, status), (tier, half) in zip(person_ids, application_ids, wanted, tiers,
                                                                         strict=True)
                    if status == ApplicationStatus.APPROVED])
    audit.record("demo.round_2024", award_round, bodies=len(rows), applications=len(wanted))
    db.session.flush()
    return {"round": award_round.id, "bodies": len(rows), "people": len(person_ids), "hour_entries": len(hours),
            "applications": len(wanted)}
