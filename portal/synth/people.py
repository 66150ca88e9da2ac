"""One synthetic volunteer, computed from its index: who they are, where and since when they serve, their
training, record book and insurance. The same index and seed always give the same volunteer, so the
people pass and the hours pass each compute it again instead of keeping 1.2 million in memory.

Rules the data keeps (docs/synth.md): training comes before the first day served (so hours count from
the first day, docs/rules/training.md#t5); untrained volunteers serve only before the 2026 gate (#t6);
a volunteer with several units serves each on its own days of the month (no two entries of one person
ever share a day, so the 24-hour day of docs/rules/hours.md#h4 holds trivially).
"""
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from portal.hours.rules import EARLIEST
from portal.platform.dates import add_years
from portal.registry.identity import LETTER_CODES

from .plan import AGE_BANDS, FEMALE_SHARE, SECOND_UNIT_SHARE, THIRD_UNIT_SHARE, Plan, UnitPlan

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴徐周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙顏柯翁魏孫戴"
# Frequencies of the first ten surnames (per cent); the others share the rest evenly.
SURNAME_WEIGHTS = [11.1, 8.3, 6.0, 5.3, 5.1, 4.1, 4.0, 3.2, 2.9, 2.7] + [1.1] * (len(SURNAMES) - 10)
GIVEN_F = ["淑芬", "美玲", "雅婷", "怡君", "淑惠", "欣怡", "秀英", "麗華", "佩君", "玉珍", "惠美", "靜宜", "美惠",
           "麗珠", "雅惠", "淑貞", "秀琴", "春美", "月娥", "宜蓁", "詩涵", "婉婷", "家瑜", "思妤", "玉蘭", "碧霞"]
GIVEN_M = ["志明", "俊傑", "家豪", "建宏", "宗翰", "冠宇", "文雄", "承恩", "明德", "國華", "信宏", "柏翰", "志偉",
           "正雄", "金龍", "建國", "俊宏", "家銘", "彥廷", "冠廷", "昭男", "添財", "榮華", "聰明", "宏志", "子軒"]
SURNAME_CUM = list(accumulate(SURNAME_WEIGHTS))
AGE_CUM = list(accumulate(b[2] for b in AGE_BANDS))
LATIN = {"陳": "CHEN", "林": "LIN", "黃": "HUANG", "張": "CHANG", "李": "LEE", "王": "WANG", "吳": "WU",
         "劉": "LIU", "蔡": "TSAI", "楊": "YANG"}
# The first letter of a national ID names the place of first registration.
COUNTY_LETTER = {"TPE": "A", "NWT": "F", "TAO": "H", "TXG": "B", "TNN": "D", "KHH": "E", "KEE": "C",
                 "HSZ": "O", "HSQ": "J", "MIA": "K", "CHA": "N", "NAN": "M", "YUN": "P", "CYI": "I",
                 "CYQ": "Q", "PIF": "T", "ILA": "G", "HUA": "U", "TTT": "V", "PEN": "X", "KIN": "W", "LIE": "Z"}
LETTERS = list(LETTER_CODES)
ID_MULT = 7_654_321                 # odd and not a multiple of 5: i -> 7 digits is one-to-one below 10**7

TRAINED_SHARE = 0.92                # verified basic and special training
PENDING_TRAINING_SHARE = 0.4        # of the untrained: a basic-training record waiting for verification
BOOK_SHARE = 0.78                   # of the trained: a record book
BOOK_REQUEST_SHARE = 0.15           # of the trained without one: a request waiting at the county
LEFT_SHARE, PAUSED_SHARE = 0.12, 0.04
MEAN_TENURE_YEARS = 7.0
SHIFT_HALF_HOURS = (4, 6, 6, 7, 8, 8, 8, 9, 10, 12, 16)   # one shift: 2 to 8 hours, most 3–4
GATE = date(2026, 1, 1)             # docs/rules/training.md#t6


@dataclass(slots=True)
class Serve:
    """One membership and how its hours are entered."""
    unit: UnitPlan
    field: str
    joined: date
    left: date | None
    status: str
    days: tuple[int, int]       # the days of the month this person serves this unit
    pace: int                   # half-hours a month (monthly units) or shifts a month (the others)
    monthly: bool
    until: date | None = None   # no entries after this day (the benchmark's free days)


@dataclass(slots=True)
class Profile:
    index: int
    rng: random.Random
    sex: str
    birth: date
    name: str
    name_latin: str
    id_number: str
    phone: str
    serves: list[Serve]
    basic_on: date | None = None              # verified basic training (None: untrained)
    special_on: dict = field(default_factory=dict)   # field -> verified special training
    pending_basic: date | None = None
    book_on: date | None = None
    book_request_on: date | None = None
    role: str = ""                            # "volunteer" (the benchmark's account) or "hours_post"

    @property
    def home(self) -> Serve:
        return self.serves[0]

    def counting_start(self, field_code: str) -> date | None:
        """T5: hours in a field count from the later of basic and that field's special training."""
        special = self.special_on.get(field_code)
        return max(self.basic_on, special) if self.basic_on and special else None

    def age_on(self, day: date) -> int:
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))


@dataclass(frozen=True)
class Roles:
    """The volunteers with a part in the benchmark, by index."""
    volunteer: int
    hours_post: frozenset
    free_from: date


def national_id(index: int, letter: str, sex: str) -> str:
    body = ("1" if sex == "M" else "2") + f"{(index * ID_MULT + 1_234_567) % 10_000_000:07d}"
    code = LETTER_CODES[letter]
    total = code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(body, range(8, 0, -1), strict=True))
    return letter + body + str((10 - total % 10) % 10)


def _days(slot: int, slots: int) -> tuple[int, int]:
    """A person with several units serves each on its own part of the month: halves, or thirds."""
    if slots == 1:
        return 1, 31
    size = 31 // slots
    return 1 + slot * size, 31 if slot == slots - 1 else (slot + 1) * size


def _age(rng: random.Random) -> int:
    low, high, _ = rng.choices(AGE_BANDS, cum_weights=AGE_CUM)[0]
    return rng.randint(low, high)


def _pace(rng: random.Random, monthly: bool) -> int:
    if monthly:
        return rng.choice((6, 8, 10, 12, 16, 16, 20, 24, 30, 40))  # 3 to 20 hours a month
    return rng.choice((1, 2, 2, 3, 3, 4, 4, 6, 8))                # shifts a month


def _serve(rng: random.Random, plan: Plan, unit: UnitPlan, joined: date, trained: bool, slot: int,
           slots: int, stays: bool) -> Serve:
    field_code = unit.extra_field if unit.extra_field and rng.random() < 0.2 else unit.field
    today = plan.today
    left, status = None, "active"
    tenure = (today - joined).days
    if not stays and tenure > 120 and rng.random() < LEFT_SHARE:
        left, status = joined + timedelta(days=rng.randint(60, tenure - 1)), "left"
    elif not trained:
        status = "trainee" if rng.random() < 0.5 else "active"
    elif not stays and rng.random() < PAUSED_SHARE:
        status = "paused"
    return Serve(unit, field_code, joined, left, status, _days(slot, slots), _pace(rng, unit.monthly), unit.monthly)


def profile(plan: Plan, index: int, roles: Roles) -> Profile:
    rng = random.Random(plan.seed * 1_000_003 + index)
    today = plan.today
    role = "volunteer" if index == roles.volunteer else "hours_post" if index in roles.hours_post else ""
    sex = "F" if rng.random() < FEMALE_SHARE else "M"
    age = _age(rng)
    if role and age < 40:
        age += 25      # the benchmark's volunteers have served for years
    birth = add_years(today, -age) - timedelta(days=rng.randint(0, 364))     # `age` years old today
    surname = rng.choices(SURNAMES, cum_weights=SURNAME_CUM)[0]
    name = surname + rng.choice(GIVEN_F if sex == "F" else GIVEN_M)
    latin = f"{LATIN[surname]}, {'HSIAO-MING' if sex == 'M' else 'MEI-LING'}" \
        if surname in LATIN and rng.random() < 0.12 else ""
    home = plan.primary_unit(index)
    letter = COUNTY_LETTER[home.county] if rng.random() < 0.8 else rng.choice(LETTERS)
    phone = f"09{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}" if rng.random() < 0.85 else ""
    trained = bool(role) or rng.random() < TRAINED_SHARE
    # Years of service: exponential, no earlier than age 16 nor than the Act (docs/rules/hours.md#h6).
    years = min(rng.expovariate(1 / MEAN_TENURE_YEARS), age - 16)
    joined = max(EARLIEST, today - timedelta(days=max(20, int(years * 365.25))))
    if role == "volunteer":
        joined = min(joined, date(plan.since, 1, 1) - timedelta(days=400))
    elif role == "hours_post":
        joined = min(joined, roles.free_from - timedelta(days=400))
    extra = 0 if role else 2 if rng.random() < THIRD_UNIT_SHARE else 1 if rng.random() < SECOND_UNIT_SHARE else 0
    units = [home]
    for _ in range(extra):
        other = plan.other_unit(rng, home, {u.index for u in units})
        if other is not None:
            units.append(other)
    serves = []
    for slot, unit in enumerate(units):
        start = joined if slot == 0 else joined + timedelta(days=rng.randint(0, max(0, (today - joined).days - 30)))
        serves.append(_serve(rng, plan, unit, start, trained, slot, len(units), stays=bool(role)))
    person = Profile(index, rng, sex, birth, name, latin, national_id(index, letter, sex), phone, serves, role=role)
    if role == "volunteer":
        person.home.monthly = False
        person.home.pace = 17          # shifts a month: about 2,000 entries over ten years
    elif role == "hours_post":
        person.home.until = roles.free_from - timedelta(days=1)
    if trained:
        person.basic_on = max(date(2000, 1, 1), joined - timedelta(days=rng.randint(0, 120)))
        for serve in serves:
            special = max(person.basic_on, serve.joined - timedelta(days=rng.randint(0, 60)))
            person.special_on[serve.field] = min(special, person.special_on.get(serve.field, special))
        if role or rng.random() < BOOK_SHARE:
            person.book_on = min(today - timedelta(days=1),
                                 max(date(2001, 6, 1), person.basic_on + timedelta(days=rng.randint(30, 720))))
        elif serves[0].left is None and rng.random() < BOOK_REQUEST_SHARE:
            person.book_request_on = today - timedelta(days=rng.randint(1, 40))
    elif rng.random() < PENDING_TRAINING_SHARE:
        person.pending_basic = today - timedelta(days=rng.randint(5, 90))
    return person


def window(person: Profile, serve: Serve, since: date, today: date) -> tuple[date, date]:
    """The days on which this membership may carry hours: member, after `since`, after the training that
    makes them count, before the 2026 gate when untrained, never after today (docs/rules/hours.md#h7)."""
    first = max(serve.joined, since, EARLIEST)
    last = min(serve.left or today, serve.until or today, today)
    start = person.counting_start(serve.field)
    if start is not None:
        first = max(first, start)
    else:
        last = min(last, GATE - timedelta(days=1))
    return first, last


def card_window(person: Profile) -> tuple[date, date] | None:
    """HC4: a first honor card counts from the later of basic training and the earliest special training,
    over three whole years, to the end of that month."""
    if person.basic_on is None or not person.special_on:
        return None
    start = max(person.basic_on, min(person.special_on.values()))
    last = add_years(start, 3) - timedelta(days=1)
    return start, date(last.year + last.month // 12, last.month % 12 + 1, 1) - timedelta(days=1)
