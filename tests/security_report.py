"""`make security-report`: run the suite's security groups and print what they checked and what failed.

The groups are pytest markers (pyproject.toml): hostile values in every form and query parameter, the upload
corpus, redirect bypass forms, identity numbers against an independent validator, sessions, slow clients,
concurrent requests, kill -9 fault runs, backups. Each test adds how many cases it checked with `record()`
(a no-op outside this report); the outcome of every test comes from pytest's JUnit XML. The table goes to
stdout and to `instance/security-report.md`; the exit status is 1 when any test failed or none ran.

    make security-report                         # SQLite, and PostgreSQL as well when TEST_DATABASE_URL is set
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
REPORT_ENV = "SECURITY_REPORT_FILE"

# marker → (what the group checks, the test files that hold it)
GROUPS = {
    "hostile": "hostile values (overlong, NUL, surrogates, bidi, huge numbers, dates, markup…) in every form "
               "field, query parameter and path part, for every role: no 5xx, no unescaped markup",
    "files": "the upload corpus (BadPDF, scripts, embedded files, encrypted, bombs, polyglots, external links, "
             "DDE, macros): refused or stored cleaned; downloads named and typed safely",
    "redirects": "open-redirect bypass forms refused by the one redirect helper; the portal's own paths kept",
    "identity": "national ID and resident-certificate numbers judged as an independent validator judges them",
    "sessions": "idle and absolute limits end only the idle session; sign-out and password change end all",
    "slow_clients": "the production recipe (nginx in front of gunicorn) answering under 50 slow clients",
    "concurrency": "16 requests at once (exports, imports, PDFs, access-log writes, edits): 0 errors",
    "faults": "kill -9 in the middle of an import, a batch approval, a bulk decision with PDFs: before or after, "
              "never between; lost database connections; full or unwritable storage",
    "backup": "backup and restore round trips: every row and file back, tampered archives refused",
}


def record(check: str, cases: int):
    """Count `cases` checked under `check` (a group's sub-check, e.g. 'forms × values posted') for the report."""
    path = os.environ.get(REPORT_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"check": check, "cases": cases, "test": os.environ.get("PYTEST_CURRENT_TEST", "")})
                     + "\n")


def outcomes(junit: Path) -> dict[str, dict[str, int]]:
    """Per test file: tests passed, failed (errors included) and skipped."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"passed": 0, "failed": 0, "skipped": 0})
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("classname", "").split(".")[-1]
        if case.find("failure") is not None or case.find("error") is not None:
            counts[name]["failed"] += 1
        elif case.find("skipped") is not None:
            counts[name]["skipped"] += 1
        else:
            counts[name]["passed"] += 1
    return counts


def marked_files(marker: str) -> list[str]:
    """The test modules that hold tests with this marker (pytest --collect-only)."""
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider",
                          "-m", marker, "tests"], cwd=ROOT, capture_output=True, text=True).stdout
    return sorted({line.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
                   for line in out.splitlines() if "::" in line})


def main() -> int:
    # Inside the repository (instance/): the suite's path guard refuses files elsewhere.
    (ROOT / "instance").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "instance", prefix="security-report-") as tmp:
        cases_file, junit = Path(tmp) / "cases.jsonl", Path(tmp) / "junit.xml"
        cases_file.touch()
        command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider",
                   "-m", " or ".join(GROUPS), f"--junitxml={junit}", "tests"]
        started = datetime.now(ZoneInfo("Asia/Taipei"))
        run = subprocess.run(command, cwd=ROOT, env={**os.environ, REPORT_ENV: str(cases_file)})
        per_file = outcomes(junit) if junit.exists() else {}
        cases = defaultdict(int)
        for line in cases_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            cases[entry["check"]] += entry["cases"]
    databases = "SQLite and PostgreSQL" if os.environ.get("TEST_DATABASE_URL") else "SQLite"
    lines = [f"# Security report · {started:%Y-%m-%d %H:%M} Asia/Taipei · {databases}", "",
             "| group | what is checked | test files | tests passed | failed | skipped |",
             "|---|---|---|--:|--:|--:|"]
    total_failed = total_passed = 0
    for marker, what in GROUPS.items():
        files = marked_files(marker)
        passed = sum(per_file[f]["passed"] for f in files if f in per_file)
        failed = sum(per_file[f]["failed"] for f in files if f in per_file)
        skipped = sum(per_file[f]["skipped"] for f in files if f in per_file)
        total_failed, total_passed = total_failed + failed, total_passed + passed
        lines.append(f"| {marker} | {what} | {', '.join(files) or '–'} | {passed} | {failed} | {skipped} |")
    lines += ["", "| cases checked | count |", "|---|--:|"]
    lines += [f"| {check} | {count:,} |" for check, count in sorted(cases.items())]
    verdict = "0 failures" if total_failed == 0 and total_passed and run.returncode == 0 else \
        f"**{total_failed} failures** (pytest exit status {run.returncode})"
    lines += ["", f"Result: {verdict}; {total_passed} tests passed."]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "instance" / "security-report.md"
    out.write_text(text, encoding="utf-8")
    return 0 if verdict == "0 failures" else 1


if __name__ == "__main__":
    sys.exit(main())
