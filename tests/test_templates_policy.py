"""Role-based choices are made in views and loaders; templates only read the flags they are given."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# The layout shows the signed-in user's role as a label; that is display, not a decision.
ALLOWED = {"layout.html"}
ROLE_TEST = re.compile(r"current_user\s*\.\s*role\b|current_user\s*\[\s*['\"]role['\"]\s*\]")


def test_templates_exist():
    assert any(TEMPLATES.rglob("*.html"))


def test_no_template_but_the_layout_reads_the_role():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file() or path.relative_to(TEMPLATES).as_posix() in ALLOWED:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if ROLE_TEST.search(line):
                offenders.append(f"{path.relative_to(TEMPLATES).as_posix()}:{number}: {line.strip()}")
    assert not offenders, "Decide role-based choices in the view and pass a flag:\n" + "\n".join(offenders)
