"""Loads several counties, ~20 units across fields and sectors, ~500 volunteers, one login per role."""
import random
from datetime import date, timedelta

import click
from sqlalchemy import func, select

from portal.auth.operations import create_user
from portal.platform.extensions import db
from portal.records.models import RecordBook
from portal.registry.identity import LETTER_CODES
from portal.registry.models import Membership, MembershipStatus, Person, Unit
from portal.registry.operations import authority_for, create_unit, seed_reference_data

from . import bp
from .awards import load_awards
from .records import load_insurance, load_photos_and_books, load_records
from .resolutions import load_resolutions
from .round_2024 import AlreadyLoaded, RoundTaken, load_round_2024
from .venues import load_venues

DEMO_PASSWORD = "demo-password-2026"

UNITS = [
    ("TPE-SW-01", "臺北市萬華社區服務協會", "Wanhua Community Service Association", "TPE", "social", "private"),
    ("TPE-SW-02", "臺北市立聯合醫院志工隊", "Taipei City Hospital Volunteers", "TPE", "health", "public"),
    ("TPE-ED-01", "臺北市立圖書館", "Taipei Public Library", "TPE", "education", "public"),
    ("TPE-CU-01", "臺北市立美術館", "Taipei Fine Arts Museum", "TPE", "culture", "public"),
    ("TPE-EN-01", "臺北市環保志工大隊", "Taipei Environmental Volunteer Corps", "TPE", "environment", "public"),
    ("NWT-SW-01", "新北市板橋老人關懷據點", "Banqiao Elder Care Point", "NWT", "social", "private"),
    ("NWT-ED-01", "新北市立板橋國民小學", "Banqiao Elementary School", "NWT", "education", "public"),
    ("NWT-HE-01", "新北市衛生局志工隊", "New Taipei Health Department Volunteers", "NWT", "health", "public"),
    ("NWT-TR-01", "新北市交通安全促進會", "New Taipei Traffic Safety Association", "NWT", "traffic", "private"),
    ("TXG-SW-01", "臺中市家扶中心", "Taichung Family Support Centre", "TXG", "social", "private"),
    ("TXG-SP-01", "臺中市體育總會", "Taichung Sports Federation", "TXG", "sports", "private"),
    ("TXG-CU-01", "臺中市國家歌劇院志工隊", "National Taichung Theater Volunteers", "TXG", "culture", "public"),
    ("TXG-RE-01", "臺中市消防局義消大隊", "Taichung Volunteer Fire Brigade", "TXG", "rescue", "public"),
    ("KHH-SW-01", "高雄市社會局志工隊", "Kaohsiung Social Affairs Bureau Volunteers", "KHH", "social", "public"),
    ("KHH-HE-01", "高雄榮民總醫院志工隊", "Kaohsiung Veterans General Hospital Volunteers", "KHH", "health", "public"),
    ("KHH-ED-01", "高雄市立圖書館總館", "Kaohsiung Main Public Library", "KHH", "education", "public"),
    ("KHH-EN-01", "高雄市柴山自然公園協會", "Shoushan Nature Park Association", "KHH", "environment", "private"),
    ("HUA-SW-01", "花蓮縣原住民族關懷協會", "Hualien Indigenous Care Association", "HUA", "social", "private"),
    ("HUA-CU-01", "花蓮縣文化局", "Hualien Cultural Affairs Bureau", "HUA", "culture", "public"),
    ("TNN-SW-01", "臺南市長青志工協會", "Tainan Senior Volunteers Association", "TNN", "social", "private"),
]

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴徐周葉蘇莊呂江何蕭羅高"
GIVEN = ["淑芬", "志明", "美玲", "俊傑", "雅婷", "家豪", "怡君", "建宏", "淑惠", "宗翰", "欣怡", "冠宇",
         "秀英", "文雄", "麗華", "承恩", "佩君", "明德", "玉珍", "國華", "惠美", "信宏", "靜宜", "柏翰"]
LATIN_SURNAMES = {"陳": "CHEN", "林": "LIN", "黃": "HUANG", "張": "CHANG", "李": "LEE", "王": "WANG",
                  "吳": "WU", "劉": "LIU", "蔡": "TSAI", "楊": "YANG"}

ACCOUNTS = [
    ("admin", "admin", {}, "系統管理員"),
    ("ministry", "ministry", {"kind": "ministry"}, "衛福部承辦"),
    ("county.tpe", "county", {"kind": "county", "county": "TPE"}, "臺北市社會局"),
    ("sector.tpe.health", "sector_local", {"kind": "sector_local", "county": "TPE", "field": "health"},
     "臺北市衛生局"),
    ("sector.education", "sector_central", {"kind": "sector_central", "field": "education"}, "教育部"),
    ("clerk.tpe-sw-01", "unit_clerk", {"unit": "TPE-SW-01"}, "萬華協會承辦人"),
    ("supervisor.tpe-sw-01", "unit_supervisor", {"unit": "TPE-SW-01"}, "萬華協會志工督導"),
    ("clerk.khh-sw-01", "unit_clerk", {"unit": "KHH-SW-01"}, "高雄社會局承辦人"),
]


def national_id(rng: random.Random, sex: str) -> str:
    letter = rng.choice(list(LETTER_CODES))
    body = ("1" if sex == "M" else "2") + "".join(str(rng.randint(0, 9)) for _ in range(7))
    code = LETTER_CODES[letter]
    total = code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(body, range(8, 0, -1), strict=True))
    return letter + body + str((10 - total % 10) % 10)


def make_people(rng: random.Random, count: int, units: list[Unit]):
    used = set()
    today = date.today()
    for i in range(count):
        sex = rng.choice("MF" if i % 3 else "FFM")
        number = national_id(rng, sex)
        while number in used:
            number = national_id(rng, sex)
        used.add(number)
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        age = rng.choice([rng.randint(16, 40), rng.randint(40, 64), rng.randint(65, 88)])
        birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
        person = Person(name=surname + given, id_kind="national", id_number=number, sex=sex, birth_date=birth,
                        name_latin=f"{LATIN_SURNAMES[surname]}, {'HSIAO-MING' if sex == 'M' else 'MEI-LING'}"
                        if surname in LATIN_SURNAMES else "",
                        phone=f"09{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}")
        db.session.add(person)
        home = units[i % len(units)]
        joined = today - timedelta(days=rng.randint(30, 365 * 12))
        status = rng.choices(list(MembershipStatus), [80, 6, 6, 8])[0]
        person.memberships.append(Membership(
            unit=home, field_code=home.field_code, joined_on=joined, status=status,
            left_on=today - timedelta(days=rng.randint(1, 29)) if status == MembershipStatus.LEFT else None))
        if i % 9 == 0:
            other = rng.choice([u for u in units if u.county_code == home.county_code and u is not home] or units)
            person.memberships.append(Membership(unit=other, field_code=other.field_code,
                                                 joined_on=joined + timedelta(days=200), status=MembershipStatus.ACTIVE))
        yield person


@bp.cli.command("demo-data")
@click.option("--volunteers", default=500, show_default=True)
@click.option("--if-empty", is_flag=True, help="do nothing when the database already holds units")
@click.option("--seed-round-2024", is_flag=True,
              help="only add the 2024 health-and-welfare round shaped like the ministry's statistics "
                   "(41 applying bodies, 5,360 eligible, 36.1 %% on paper); once per database")
def demo_data(volunteers, if_empty, seed_round_2024):
    """Load the demo data set and print the demo logins."""
    if seed_round_2024:
        return load_seed_round()
    if db.session.scalar(select(func.count()).select_from(Unit)):
        if if_empty:
            click.echo("database not empty; demo data not loaded")
            return
        raise click.ClickException("the database already holds units; demo data goes into an empty database")
    rng = random.Random(2026)
    seed_reference_data()
    units = [create_unit(code, name, county, field, sector, name_en=name_en)
             for code, name, name_en, county, field, sector in UNITS]
    people = list(make_people(rng, volunteers, units))
    db.session.flush()
    today = date.today()
    trained, hour_rows = load_records(rng, people, units, today)
    authorities = {c: authority_for("county", c, None).id for c in {u.county_code for u in units}}
    books = load_photos_and_books(rng, trained, authorities, today)
    insured = load_insurance(rng, units, today)
    # The demo volunteer: serving in TPE-SW-01, with a record book when one of them has it.
    with_book = set(db.session.scalars(select(RecordBook.person_id)))
    serving = [p for p in people if p.memberships[0].unit.code == "TPE-SW-01" and p.memberships[0].status == MembershipStatus.ACTIVE]
    volunteer = next((p for p in serving if p.id in with_book), serving[0])
    click.echo("Demo logins (password for all: %s)" % DEMO_PASSWORD)
    accounts = {}
    for username, role, scope, name in ACCOUNTS + [("volunteer", "volunteer", {"person": volunteer}, volunteer.name)]:
        # Staff accounts have an e-mail address (recovery, notifications; the account form asks for one);
        # without MAIL_SERVER the mails go to the log. The volunteer is reached through the person record.
        email = "" if role == "volunteer" else f"{username.replace('_', '.')}@demo.example.org"
        accounts[username] = create_user(username, DEMO_PASSWORD, role, display_name=name, email=email,
                                         **account_scope(scope, units))
        click.echo(f"  {username:24} {role}")
    awards = load_awards(people, accounts, today, volunteer)
    load_resolutions()
    venues = load_venues()
    db.session.commit()
    click.echo(f"loaded {len(units)} units, {len(people)} volunteers ({len(trained)} trained), "
               f"{hour_rows} monthly hour rows, {books} record books, {insured} insured, "
               f"{awards['rounds']} award rounds, {awards['awards']} awards, "
               f"{awards['applications']} open applications, {venues} venues")


def load_seed_round():
    try:
        loaded = load_round_2024()
    except AlreadyLoaded:
        click.echo("the 2024 demo round is already loaded; nothing changed")
        return
    except RoundTaken:
        raise click.ClickException("a health-and-welfare round of 2024 already exists; the demo round "
                                   "goes into a database without one") from None
    db.session.commit()
    click.echo(f"loaded the 2024 health-and-welfare round (id {loaded['round']}): {loaded['bodies']} applying bodies, "
               f"{loaded['applications']} applications of {loaded['people']} volunteers, "
               f"{loaded['hour_entries']} hour entries")


def account_scope(scope: dict, units: list[Unit]) -> dict:
    if "unit" in scope:
        return {"unit_id": next(u.id for u in units if u.code == scope["unit"])}
    if "person" in scope:
        return {"person_id": scope["person"].id}
    if "kind" in scope:
        return {"authority_id": authority_for(scope["kind"], scope.get("county"), scope.get("field")).id}
    return {}
