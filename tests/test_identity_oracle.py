"""National ID and resident-certificate numbers against an independent implementation (docs/rules/identity.md
#id1 to #id3): the npm package taiwan-id-validator 2.1.0 (MIT, maintained, its rules traced to the Ministry
of the Interior and the National Immigration Agency), vendored as one file so the test needs no network:

    tests/vendor/taiwan-id-validator-2.1.0.cjs   = dist/index.cjs of `npm pack taiwan-id-validator@2.1.0`
    (tarball integrity sha512-SxiTd4DO0lu1n6uutkjKEEBbylTyfE/OJqQlyTi8/t/EmWA/TwaMy3ifAqsnM2aQvGlXqAUkjU5flMYeM8T3og==)

Hypothesis draws valid numbers of every kind (national ID, new resident certificate with each category
digit, old resident certificate with each second letter) and of near-kinds (any letter or digit in the
second place); each is then mutated in every position to every other letter and digit, so every position's
allowed values are met on both sides. About 200,000 numbers go to a file and through ONE node process;
both sides must agree on validity, kind and reason (format or checksum) for every number."""
import hashlib
import os
import random
import shutil
import string
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.registry.identity import LETTER_CODES, NATIONAL, RESIDENT, IdNumberError, classify
from tests import security_report

pytestmark = pytest.mark.identity

ORACLE = Path(__file__).parent / "vendor" / "taiwan-id-validator-2.1.0.cjs"
ORACLE_SHA256 = "d6f4c25a87097274361ad1b85d66cac1c21817ef9f574e2a9590ddea1b47ce39"
ALPHABET = string.ascii_uppercase + string.digits
BASES = 600          # drawn by Hypothesis; each gives itself and 10 x 35 single-position mutations: 211,200
# One character per number keeps the answer small: N national ID, R resident certificate (any category),
# c wrong checksum, f wrong format or length.
NODE_SCRIPT = """
const {validateIdCardNumber} = require(process.argv[1]);
const lines = require('fs').readFileSync(process.argv[2], 'utf8').split('\\n').filter(Boolean);
process.stdout.write(lines.map(n => {
  const r = validateIdCardNumber(n);
  if (r.valid) return r.category === 'NATIONAL_ID' ? 'N' : 'R';
  return r.reason === 'INVALID_CHECKSUM' ? 'c' : 'f';
}).join(''));
"""
THEIRS = {"N": (True, NATIONAL, None), "R": (True, RESIDENT, None), "c": (False, None, "checksum"),
          "f": (False, None, "format")}


def check_digit(first_nine: str) -> str:
    """The digit that makes the weighted sum a multiple of 10, written out independently of the portal's
    checksum: the letter's two digits weigh 1 and 9, the second character 8 (an old certificate's letter
    by its code's units digit), then 7 … 1, and the check digit itself 1."""
    head = LETTER_CODES[first_nine[0]]
    second = LETTER_CODES[first_nine[1]] % 10 if first_nine[1].isalpha() else int(first_nine[1])
    digits = [head // 10, head % 10, second, *map(int, first_nine[2:])]
    total = sum(d * w for d, w in zip(digits, [1, 9, 8, 7, 6, 5, 4, 3, 2, 1], strict=True))
    return str(-total % 10)


@st.composite
def numbers(draw) -> str:
    """A number with a right check digit: the second place is drawn from every letter and digit, weighted
    towards the official ones (1, 2, 8, 9, A-D), so valid and near-kind numbers both come."""
    first = draw(st.sampled_from(string.ascii_uppercase))
    second = draw(st.one_of(st.sampled_from("1289ABCD"), st.sampled_from(ALPHABET)))
    body = draw(st.text(string.digits, min_size=7, max_size=7))
    return first + second + body + check_digit(first + second + body)


def mutations(number: str) -> list[str]:
    return [number[:i] + ch + number[i + 1:] for i in range(10) for ch in ALPHABET if ch != number[i]]


def portal_answer(number: str) -> tuple[bool, str | None, str | None]:
    try:
        kind, _normalised = classify(number)
    except IdNumberError as error:
        return False, None, error.reason
    return True, kind, None


@pytest.fixture(scope="module")
def node():
    found = shutil.which("node")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("node is missing: the identity oracle runs on Node.js (Debian package nodejs)")
        pytest.skip("node is not installed")
    assert hashlib.sha256(ORACLE.read_bytes()).hexdigest() == ORACLE_SHA256, "the vendored oracle changed"
    return found


def test_every_generated_number_is_judged_as_the_independent_validator_judges_it(node, tmp_path):
    drawn: list[str] = []

    @settings(max_examples=BASES, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(numbers())
    def collect(number):
        drawn.append(number)

    collect()
    # Hypothesis stops early once it has seen every distinct example it can make cheaply; fixed-seed
    # extra bases keep the total near the 200,000 whatever it drew.
    rng = random.Random(18)
    while len(set(drawn)) < BASES:
        drawn.append(_seeded_base(rng))
    generated = sorted({m for n in drawn for m in [n, *mutations(n)]})
    kinds = {(n[1] in "12", n[1] in "89", n[1] in "ABCD") for n in generated}
    assert len(generated) >= 190_000 and len(kinds) == 4       # national, new, old, and none of them
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(generated) + "\n")
    out = subprocess.run([node, "-e", NODE_SCRIPT, str(ORACLE), str(path)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    theirs = [THEIRS[answer] for answer in out]
    assert len(theirs) == len(generated)
    differ = [(n, ours, their) for n, their in zip(generated, theirs, strict=True)
              if (ours := portal_answer(n)) != their]
    assert not differ, f"{len(differ)} of {len(generated)} differ, e.g. " + "; ".join(
        f"{n}: portal {ours}, validator {their}" for n, ours, their in differ[:10])
    security_report.record("identity numbers compared with the independent validator", len(generated))
    valid = sum(portal_answer(n)[0] for n in generated)
    assert valid > 1_000                                             # both sides of the edge were met


def _seeded_base(rng: random.Random) -> str:
    first, second = rng.choice(string.ascii_uppercase), rng.choice(ALPHABET)
    body = "".join(rng.choice(string.digits) for _ in range(7))
    return first + second + body + check_digit(first + second + body)


@pytest.mark.parametrize("number,kind", [
    ("A123456789", NATIONAL), ("A800000014", RESIDENT), ("A900000016", RESIDENT), ("AC01234567", RESIDENT),
])
def test_known_numbers_both_ways(number, kind):
    """The published examples: valid for the portal, and (by construction) for the helper above."""
    assert portal_answer(number) == (True, kind, None)
    assert check_digit(number[:9]) == number[9]


@pytest.mark.parametrize("second", "ABCD")
def test_each_old_second_letter_a_to_d_is_a_resident_certificate(second):
    number = "A" + second + "0123456"
    number += check_digit(number)
    assert classify(number) == (RESIDENT, number)


@pytest.mark.parametrize("second", "EFXZ")
def test_an_old_second_letter_after_d_is_refused_as_a_format(second):
    """The rule the portal had wrong: it took any letter as an old certificate's second letter."""
    number = "A" + second + "0123456"
    number += check_digit(number)
    with pytest.raises(IdNumberError) as error:
        classify(number)
    assert error.value.reason == "format"
