"""The shape of the national synthetic set: the distributions (docs/synth.md says where each number comes
from) and the plan of units that every volunteer is derived from.

Pure: no database. A `Plan` is a few arrays of the size of the unit list; a volunteer is never stored
here but computed from its index (`primary_unit`, `second_unit`), so that the generators can walk
1.2 million volunteers twice with flat memory and the same seed always gives the same data.
"""
import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from statistics import NormalDist

# Population of the 22 counties and cities, thousands (end of 2024, rounded): volunteers and units
# are spread in these proportions.
COUNTY_WEIGHTS = {
    "NWT": 4047, "TXG": 2860, "KHH": 2730, "TPE": 2490, "TAO": 2330, "TNN": 1850, "CHA": 1240, "PIF": 800,
    "YUN": 660, "HSQ": 590, "MIA": 535, "CYQ": 480, "NAN": 475, "HSZ": 455, "ILA": 450, "KEE": 360,
    "HUA": 320, "CYI": 260, "TTT": 210, "KIN": 145, "PEN": 107, "LIE": 14,
}

# Share of volunteers per service field, per cent (the 2022 national report's split of health and
# welfare 42.4 %, education 28.1 %, environment 20.0 %, normalised with the small fields to 100).
FIELD_SHARES = {
    "social": 32.0, "education": 26.0, "environment": 18.0, "health": 10.5, "culture": 4.0, "rescue": 2.5,
    "traffic": 1.5, "sports": 1.5, "counseling": 1.5, "science": 0.5, "manpower": 0.5, "joint": 0.4,
    "cooperative": 0.3, "economy": 0.3, "promotion": 0.3, "research": 0.2,
}

# Age bands (years, inclusive) and their share in per cent: 65 and over = 35 % (2024: 35.6 %).
AGE_BANDS = ((16, 29, 12), (30, 49, 20), (50, 64, 33), (65, 74, 23), (75, 89, 12))
FEMALE_SHARE = 0.694            # 2022: 69.4 % women
SECOND_UNIT_SHARE = 0.10        # volunteers serving in a second unit ...
THIRD_UNIT_SHARE = 0.015        # ... and of those, some in a third
MEMBERSHIPS_PER_VOLUNTEER = 1 + SECOND_UNIT_SHARE + THIRD_UNIT_SHARE

MIN_UNIT, MAX_UNIT = 5, 8000    # volunteers per unit
UNIT_SIGMA = 1.53               # spread of the log-normal unit sizes: 2,000 units of 200,000 -> largest ~7,000
BIG_COUNTY, BIG_FIELD = "NWT", "social"   # the largest unit: a social-welfare unit of the largest city

PUBLIC_SHARE = 0.35             # units in the public sector
MONTHLY_SHARE = 0.78            # units that enter one row per volunteer and month (the others: per shift)
MONTHLY_SHARE_HEALTH = 0.50     # hospitals often record shifts
LAGGING_SHARE = 0.10            # units that have not entered last month yet
EXTRA_FIELD_SHARE = 0.08        # units serving a second field
# Insurers of unit policies (code, name, age cap) and their shares; the rest of the units hold none yet.
UNIT_INSURERS = (("first", "第一產物保險", 80, 0.58), ("shinkong", "新光人壽", 75, 0.30))


@dataclass(frozen=True)
class UnitPlan:
    index: int
    size: int               # memberships, every status
    primary: int            # volunteers whose first unit this is
    county: str
    field: str
    extra_field: str | None
    public: bool
    monthly: bool
    lagging: bool
    insurer: tuple | None   # (code, name, age cap)


def unit_sizes(total: int, count: int, sigma: float = UNIT_SIGMA) -> list[int]:
    """`count` heavy-tailed sizes (largest first) between MIN_UNIT and MAX_UNIT summing to about `total`:
    log-normal quantiles, scaled, clipped, and the unclipped ones scaled again until the sum holds."""
    normal = NormalDist()
    raw = [math.exp(sigma * normal.inv_cdf(1 - (r + 0.5) / count)) for r in range(count)]
    scale = total / sum(raw)
    for _ in range(30):
        sizes = [min(MAX_UNIT, max(MIN_UNIT, x * scale)) for x in raw]
        free = sum(x * scale for x, s in zip(raw, sizes, strict=True) if MIN_UNIT < s < MAX_UNIT)
        fixed = sum(s for s in sizes if not MIN_UNIT < s < MAX_UNIT)
        if free <= 0 or abs(sum(sizes) - total) < 0.5:
            break
        scale *= max(total - fixed, 1) / free
    return [max(MIN_UNIT, round(s)) for s in sizes]


def apportion(total: int, weights: list[float]) -> list[int]:
    """Whole numbers in proportion to `weights` summing exactly to `total` (largest remainders)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    out = [math.floor(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: out[i] - exact[i])[:total - sum(out)]:
        out[i] += 1
    return out


def _balanced(rng: random.Random, sizes: list[int], weights: dict[str, float], first: str) -> list[str]:
    """A key per unit (largest unit first) so that the members per key follow `weights`: each unit goes to
    a key still short of its share, chosen in proportion to how short it is."""
    whole = sum(weights.values())
    target = {k: sum(sizes) * w / whole for k, w in weights.items()}
    keys = list(weights)
    out = []
    for n, size in enumerate(sizes):
        if n == 0:
            key = first
        else:
            short = [max(target[k], 0.0) + 1e-9 for k in keys]
            key = rng.choices(keys, short)[0]
        target[key] -= size
        out.append(key)
    return out


def _permutation_factor(n: int, rng: random.Random) -> int:
    a = rng.randrange(n // 3 + 1, n) if n > 3 else 1
    while math.gcd(a, n) != 1:
        a += 1
    return a


@dataclass
class Plan:
    """Units and the rule that places volunteer i: primary unit by a block of a shuffled order, a second
    (and third) unit of the same county drawn in proportion to unit size."""
    seed: int
    volunteers: int
    units: list[UnitPlan]
    today: date
    since: int
    _starts: list[int] = field(default_factory=list)
    _mult: int = 1
    _shift: int = 0
    _county_units: dict = field(default_factory=dict)

    @classmethod
    def build(cls, seed: int, volunteers: int, unit_count: int, since: int, today: date) -> "Plan":
        rng = random.Random(f"synth-units-{seed}")
        unit_count = max(1, min(unit_count, volunteers))
        sizes = unit_sizes(round(volunteers * MEMBERSHIPS_PER_VOLUNTEER), unit_count)
        # Every unit has at least one volunteer of its own; the rest in proportion to size.
        primaries = [p + 1 for p in apportion(volunteers - unit_count, [s - 1 for s in sizes])]
        counties = _balanced(rng, sizes, COUNTY_WEIGHTS, BIG_COUNTY)
        fields = _balanced(rng, sizes, FIELD_SHARES, BIG_FIELD)
        units = []
        for i, (size, primary, county, field_code) in enumerate(zip(sizes, primaries, counties, fields, strict=True)):
            extra = rng.choice([f for f in FIELD_SHARES if f != field_code]) \
                if i and rng.random() < EXTRA_FIELD_SHARE else None
            monthly = rng.random() < (MONTHLY_SHARE_HEALTH if field_code == "health" else MONTHLY_SHARE)
            pick, insurer = rng.random(), None
            for code, name, cap, share in UNIT_INSURERS:
                if pick < share:
                    insurer = (code, name, cap)
                    break
                pick -= share
            units.append(UnitPlan(i, size, primary, county, field_code, extra, rng.random() < PUBLIC_SHARE,
                                  monthly, i > 0 and rng.random() < LAGGING_SHARE, insurer if i else UNIT_INSURERS[0][:3]))
        plan = cls(seed, volunteers, units, today, since)
        plan._starts = [0, *accumulate(u.primary for u in units)]
        plan._mult = _permutation_factor(volunteers, rng)
        plan._shift = rng.randrange(volunteers)
        by_county: dict[str, list[UnitPlan]] = {}
        for u in units:
            by_county.setdefault(u.county, []).append(u)
        plan._county_units = {c: (us, list(accumulate(u.size for u in us))) for c, us in by_county.items()}
        return plan

    def slot(self, i: int) -> int:
        """Volunteer i's place in the shuffled order (a bijection of 0..N-1)."""
        return (i * self._mult + self._shift) % self.volunteers

    def volunteer_at(self, slot: int) -> int:
        """The inverse of `slot`."""
        return ((slot - self._shift) * pow(self._mult, -1, self.volunteers)) % self.volunteers

    def primary_unit(self, i: int) -> UnitPlan:
        return self.units[bisect_right(self._starts, self.slot(i)) - 1]

    def block(self, unit: UnitPlan) -> range:
        """The slots of the volunteers whose first unit is `unit`."""
        return range(self._starts[unit.index], self._starts[unit.index + 1])

    def other_unit(self, rng: random.Random, home: UnitPlan, avoid: set[int]) -> UnitPlan | None:
        """Another unit of the same county, drawn in proportion to size; None when there is none."""
        units, cumulative = self._county_units[home.county]
        if len(units) <= len(avoid):
            return None
        n = bisect_right(cumulative, rng.random() * cumulative[-1])
        for step in range(len(units)):
            candidate = units[(n + step) % len(units)]
            if candidate.index not in avoid:
                return candidate
        return None
