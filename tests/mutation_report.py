"""The mutation score of the rule modules (`make mutation`), after `mutmut run`.

Reads mutmut's results (mutants/<module>.meta), subtracts the equivalent mutants listed with a reason in
tests/mutation-equivalent.txt and prints one row per rule module: mutants, killed, equivalent,
survived, and the kill rate of the non-equivalent ones. Exits non-zero when the rate of a module or
of all of them is below 90 %, when a rule module has no results, or when a listed equivalent no longer
matches a surviving mutant. mutmut numbers the mutants of each function, and the numbers move when the
function changes, so an entry is matched by its function and the fingerprint of its diff (the changed
lines); a match under another number is counted and reported so that the list can be brought up to date.

Run from the repository root: `python -m tests.mutation_report` (not a test module: pytest does not collect it).
Each surviving mutant is printed with its diff and fingerprint, ready to be killed by a test on the
other side of its edge or, if no input can tell it from the code, listed as equivalent with the reason.
"""
import hashlib
import json
import math
import sys
import tomllib
from collections import Counter
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = ROOT / "tests" / "mutation-equivalent.txt"
FLOOR = 90.0

KILLED = {1, 3, 24, -24, 36, 37, 152, 255}     # a failing test, a pytest error, a timeout, the type check
SURVIVED = {0}
NO_TESTS = {5, 33}


def rule_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return config["tool"]["mutmut"]["only_mutate"]


def fingerprint(diff: str) -> str:
    """The changed lines of a mutant, without line numbers or indentation: stable while the function's code is."""
    lines = [line[0] + line[1:].strip() for line in diff.splitlines()
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:8]


def function_of(name: str) -> str:
    return name.rpartition("__mutmut_")[0]


def read_equivalents() -> dict[str, tuple[str, str]]:
    """name -> (fingerprint, reason); lines are `name [fingerprint] — reason`, `#` starts a comment."""
    listed = {}
    for number, line in enumerate(EQUIVALENT_FILE.read_text("utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, reason = line.partition(" — ")
        name, _, print_ = head.partition(" ")
        if not sep or not reason.strip() or not (print_.startswith("[") and print_.endswith("]")):
            raise SystemExit(f"{EQUIVALENT_FILE.name}:{number}: expected `name [fingerprint] — reason`")
        listed[name] = (print_[1:-1], reason.strip())
    return listed


def main() -> int:
    equivalents = read_equivalents()
    by_print = {(function_of(name), print_): name for name, (print_, _) in equivalents.items()}
    problems: list[str] = []
    notes: list[str] = []
    survivors: list[tuple[str, str]] = []
    rows = []
    totals = Counter()
    seen_equivalents = set()
    for module in rule_modules():
        meta = ROOT / "mutants" / (module + ".meta")
        if not (ROOT / module).exists():
            problems.append(f"{module}: the rule module does not exist")
            continue
        if not meta.exists():
            problems.append(f"{module}: no mutmut results (run `make mutation`)")
            continue
        results = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        count = Counter()
        for name, code in sorted(results.items()):
            count["mutants"] += 1
            if code is None:
                problems.append(f"{name}: not run")
                count["survived"] += 1
            elif code in KILLED:
                count["killed"] += 1
            else:
                diff = get_diff_for_mutant(name, path=module)
                listed_as = by_print.get((function_of(name), fingerprint(diff)))
                if listed_as:
                    seen_equivalents.add(listed_as)
                    count["equivalent"] += 1
                    if listed_as != name:
                        notes.append(f"{listed_as} [{fingerprint(diff)}] is now numbered {name}")
                    continue
                count["survived"] += 1
                status = "no tests" if code in NO_TESTS else "survived" if code in SURVIVED else f"exit {code}"
                survivors.append((f"{name} [{fingerprint(diff)}] {status}", diff))
        totals.update(count)
        rows.append((module, count))
    for name in sorted(set(equivalents) - seen_equivalents):
        problems.append(f"{name} [{equivalents[name][0]}]: listed as equivalent, but no surviving mutant of its "
                        "function has that diff any more (killed, or the code changed): check the list")

    def rate(c: Counter) -> float:
        judged = c["mutants"] - c["equivalent"]
        return 100.0 * c["killed"] / judged if judged else 100.0

    def shown(percent: float) -> str:
        return f"{math.floor(percent * 10) / 10:.1f}%"          # never rounded up to 100.0 %

    for title, diff in survivors:
        print(f"\n# {title}\n" + "\n".join(line for line in diff.splitlines()[2:] if not line.startswith("@@")))
    print()
    header = f"{'module':<32} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'survived':>9} {'kill rate':>10}"
    print(header + "\n" + "-" * len(header))
    for module, c in rows + [("all rule modules", totals)]:
        if module == "all rule modules":
            print("-" * len(header))
        print(f"{module:<32} {c['mutants']:>8} {c['killed']:>7} {c['equivalent']:>7} {c['survived']:>9} "
              f"{shown(rate(c)):>10}")
        if rate(c) < FLOOR:
            problems.append(f"{module}: kill rate {shown(rate(c))} is below {FLOOR:.0f} %")
    for note in notes:
        print("NOTE", note)
    for problem in problems:
        print("FAIL", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
