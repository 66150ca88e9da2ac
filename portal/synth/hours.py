"""The hours pass: every volunteer computed again, their hour entries yielded for the COPY, and the rows
that follow from them kept in spools: the history of voided entries, honor cards, and the volunteer's
hour summaries (hour_months: all of a volunteer's entries are at hand here, so their monthly totals
cost a dictionary, where recomputing them from 100 million stored rows costs a hash aggregate that
spills to disk; tests/test_synth.py checks them against portal.hours.summaries' recomputation).

Monthly units enter one row per volunteer and month (a date range over the person's days of the month),
the others one row per shift (a single day). The rules every row keeps, whatever the path in the portal
would check (docs/rules/hours.md): half-hour steps above zero (H2), ranges within a month (H3), never
more than 24 hours on a day (H4: a day carries at most one entry of a person), no overlap (H5), dates
from 2001-01-20 to today (H6, H7), inside a current membership (H8), a field of the unit (H9), no
duplicates (H10), and the training gate (H12) — see people.window.
"""
import functools
from datetime import date, datetime, time, timedelta

from portal.honor_cards.numbers import number_key
from portal.honor_cards.rules import MIN_HALF_HOURS, validity
from portal.hours.rules import MAX_HALF_HOURS_PER_DAY

from .people import SHIFT_HALF_HOURS, Profile, Serve, card_window, profile, window
from .spool import Spool
from .tables import CARD_NUMBERS, Layout

HOUR_COLUMNS = ("id", "person_id", "unit_id", "start_on", "end_on", "half_hours", "field_code", "content",
                "persons_served", "status", "source", "entered_at")
CHANGE_COLUMNS = ("id", "entry_id", "action", "at", "reason", "before", "after")
MONTH_COLUMNS = ("person_id", "unit_id", "field_code", "year", "month", "half_hours", "entries")
CARD_COLUMNS = ("id", "person_id", "number", "number_key", "kind", "status", "county_code", "authority_id", "approved_on",
                "valid_from", "valid_to", "window_start", "window_end", "half_hours", "source", "source_filename")
CONTENT = {
    "social": ("關懷訪視", "電話問安", "據點共餐服務", "活動協助"), "health": ("門診引導", "病房關懷", "衛教宣導"),
    "education": ("課業輔導", "圖書整理", "導護服務"), "environment": ("社區清潔", "資源回收宣導", "淨灘"),
    "culture": ("導覽解說", "展場服務"),
}
DEFAULT_CONTENT = ("例行服務",)
SKIP_MONTH = 0.12               # a month without hours (holidays, illness)
VOID_SHARE = 0.003              # entries voided later (entered twice, wrong person)
CLAIM_SHARE = 0.04              # shift volunteers with a claim waiting for the unit
CARD_SHARE = 0.5                # of those who reached an honor card, the ones whose unit applied
VOID_BEFORE, VOID_AFTER = '{"status": "active"}', '{"status": "void"}'
CARD_FILE = "歷年榮譽卡資料.xlsx"


@functools.cache
def _month_days(year: int, month: int) -> int:
    return (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days


class HoursPass:
    def __init__(self, layout: Layout, spools: dict[str, Spool]):
        self.layout, self.spools = layout, spools
        plan = layout.plan
        self.today = plan.today
        self.since = date(plan.since, 1, 1)
        month_start = self.today.replace(day=1)
        self.monthly_cutoff = month_start - timedelta(days=1)                       # last month entered
        self.monthly_lagging = (month_start - timedelta(days=1)).replace(day=1) - timedelta(days=1)
        self.shift_cutoff, self.shift_lagging = self.today - timedelta(days=1), self.today - timedelta(days=25)
        self._entered: dict[date, datetime] = {}
        self.entries = 0
        self.role_entries = {}          # role -> entries, for the manifest

    def rows(self):
        """Hot loop (60 million rows and more): ids counted locally, random draws inlined."""
        plan, layout = self.layout.plan, self.layout
        entered, entered_at = self._entered, self._entered_at
        changes, summary = self.spools["hour_changes"], self.spools["hour_months"]
        for index in range(plan.volunteers):
            person = profile(plan, index, layout.roles)
            pid = layout.person_id(person)
            entries = []
            for serve in person.serves:
                entries += self.serve_entries(person, serve)
            if person.role == "volunteer":
                self.role_entries["volunteer"] = len(entries)
            random, voids = person.rng.random, 0.0 if person.role else VOID_SHARE
            active, months = [], {}
            entry_id = layout.next_ids["hour_entries"]
            for unit, field_code, start, end, half, status, source in entries:
                at = entered.get(end) or entered_at(end)
                if status == "active":
                    if random() < voids:
                        status = "void"
                        changes.add((layout.take("hour_changes"), entry_id, "void", at + timedelta(days=1),
                                     "重複登錄", VOID_BEFORE, VOID_AFTER))
                    else:
                        active.append((start, end, half))
                        key = (unit, field_code, start.year, start.month)
                        total = months.get(key)
                        months[key] = (total[0] + half, total[1] + 1) if total else (half, 1)
                contents = CONTENT.get(field_code, DEFAULT_CONTENT)
                yield (entry_id, pid, unit, start, end, half, field_code, contents[half % len(contents)],
                       int(random() * 31), status, source, at)
                entry_id += 1
            layout.next_ids["hour_entries"] = entry_id
            self.entries += len(entries)
            for key in sorted(months):      # the primary key's order: the index only ever appends
                summary.add((pid, *key, *months[key]))
            self.card(person, pid, active)

    def _entered_at(self, end: date) -> datetime:
        """Units enter hours a few days after the service (10:00 in Taipei, stored in UTC)."""
        at = self._entered.get(end)
        if at is None:
            at = self._entered[end] = datetime.combine(min(end + timedelta(days=3), self.today), time(2, 0))
        return at

    def serve_entries(self, person: Profile, serve: Serve) -> list[tuple]:
        first, last = window(person, serve, self.since, self.today)
        unit = serve.unit
        if serve.monthly:
            cutoff = self.monthly_lagging if unit.lagging else self.monthly_cutoff
        else:
            cutoff = self.shift_lagging if unit.lagging else self.shift_cutoff
        entered_to = min(last, cutoff)
        out = []
        if first <= entered_to:
            unit_id = self.layout.unit_id(unit)
            make = self._monthly if serve.monthly else self._shifts
            out = make(person.rng, serve, unit_id, first, entered_to)
        # A claim of the last days, waiting for the unit (docs/rules/hours.md#h1).
        if not serve.monthly and serve.until is None and serve.left is None and cutoff < last \
                and person.counting_start(serve.field) and person.rng.random() < CLAIM_SHARE:
            lo, hi = max(first, cutoff + timedelta(days=1)), last
            days = [lo + timedelta(days=n) for n in range((hi - lo).days + 1)
                    if serve.days[0] <= (lo + timedelta(days=n)).day <= serve.days[1]]
            for day in sorted(person.rng.sample(days, min(2, len(days)))):
                out.append((self.layout.unit_id(unit), serve.field, day, day, person.rng.choice(SHIFT_HALF_HOURS),
                            "pending", "claim"))
        return out

    @staticmethod
    def _months(first: date, last: date):
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            yield year, month
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def _bounds(self, serve: Serve, year: int, month: int, first: date, last: date) -> tuple[int, int]:
        """The person's days of this month for the unit, within [first, last]."""
        lo, hi = serve.days[0], min(serve.days[1], _month_days(year, month))
        if (year, month) == (first.year, first.month):
            lo = max(lo, first.day)
        if (year, month) == (last.year, last.month):
            hi = min(hi, last.day)
        return lo, hi

    def _monthly(self, rng, serve: Serve, unit_id: int, first: date, last: date) -> list[tuple]:
        out = []
        span = serve.days[1] - serve.days[0] + 1
        for year, month in self._months(first, last):
            if rng.random() < SKIP_MONTH:
                continue
            lo, hi = self._bounds(serve, year, month, first, last)
            if lo > hi:
                continue
            days = hi - lo + 1
            half = round(serve.pace * min(1.0, days / span) * (0.6 + 0.8 * rng.random()))
            half = max(1, min(half, MAX_HALF_HOURS_PER_DAY * days))
            out.append((unit_id, serve.field, date(year, month, lo), date(year, month, hi), half, "active", "unit"))
        return out

    def _shifts(self, rng, serve: Serve, unit_id: int, first: date, last: date) -> list[tuple]:
        out = []
        pace, random, half_hours = serve.pace, rng.random, SHIFT_HALF_HOURS
        spread = 2 * (pace // 3 + 1) + 1        # shifts this month: pace - (pace // 3 + 1) ... pace + (pace // 3 + 1)
        for year, month in self._months(first, last):
            lo, hi = self._bounds(serve, year, month, first, last)
            if lo > hi or random() < SKIP_MONTH:
                continue
            span = hi - lo + 1
            shifts = min(span, max(0, pace - (pace // 3 + 1) + int(random() * spread)))
            if 3 * shifts >= span:      # most days: each day by chance (Random.sample is slow here)
                days = [d for d in range(lo, hi + 1) if random() * span < shifts]
            else:
                chosen = set()
                while len(chosen) < shifts:
                    chosen.add(lo + int(random() * span))
                days = sorted(chosen)
            for day in days:
                on = date(year, month, day)
                out.append((unit_id, serve.field, on, on, half_hours[int(random() * len(half_hours))], "active",
                            "unit"))
        return out

    def card(self, person: Profile, pid: int, active: list[tuple]):
        """An honor card for the first three years, when their hours reached 300 (docs/rules/honor-cards.md
        HC1, HC4, HC5): only entries wholly inside the window count."""
        span = card_window(person)
        if span is None or not active:
            return
        start, end = span
        if end + timedelta(days=16) >= self.today:
            return
        half = sum(h for s, e, h in active if start <= s and e <= end)
        if half < MIN_HALF_HOURS or person.rng.random() >= CARD_SHARE:
            return
        approved = min(self.today - timedelta(days=1), end + timedelta(days=person.rng.randint(15, 90)))
        valid_from, valid_to = validity(approved)
        county = person.home.unit.county
        year, n = self.layout.number(CARD_NUMBERS, county, approved)
        number = f"HC-{county}-{year:03d}-{n:06d}"
        self.spools["honor_cards"].add((   # number_key: the card search and duplicates compare by it (HC13)
            self.layout.take("honor_cards"), pid, number, number_key(number), "first", "valid", county,
            self.layout.county_authority[county], approved, valid_from, valid_to, start, end, half, "import",
            CARD_FILE))
