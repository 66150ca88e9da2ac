"""The repository stands alone: code, templates, tests, migrations and benchmarks cite the project's
own rule pages (docs/rules/<file>.md#<id>), never design notes kept outside the repository, and
every docs/rules anchor they cite exists."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("portal", "templates", "tests", "migrations", "benchmarks")
SUFFIXES = {".py", ".html", ".md", ".txt", ".js", ".css", ".cfg", ".toml", ".ini"}
# Written in pieces so that this file does not match itself.
OUTSIDE_NOTES = ("domain", "decisions", "security", "style", "stack", "anchors")
OUTSIDE = re.compile(r"(?<![\w/-])(?:" + "|".join(OUTSIDE_NOTES) + r")\.md\b|\.\./" + "shared")
CITED = re.compile(r"docs/rules/([a-z-]+\.md)(?:#([a-z0-9]+))?")


def files():
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            parts = path.relative_to(ROOT).parts
            if (path.is_file() and path.suffix in SUFFIXES and "vendor" not in parts
                    and "__pycache__" not in parts and path.name != "common-passwords.txt"):
                yield path


def test_no_pointer_to_notes_outside_the_repository():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in files()
             for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
             if OUTSIDE.search(line)]
    assert not found, "cite docs/rules/<file>.md#<id> instead:\n" + "\n".join(found)


def test_every_cited_rule_page_and_anchor_exists():
    missing = []
    for path in files():
        for page, anchor in CITED.findall(path.read_text(encoding="utf-8", errors="replace")):
            target = ROOT / "docs" / "rules" / page
            if not target.exists() or (anchor and f'<a id="{anchor}"></a>' not in target.read_text(encoding="utf-8")):
                missing.append(f"{path.relative_to(ROOT)}: docs/rules/{page}{'#' + anchor if anchor else ''}")
    assert not missing, "\n".join(missing)
