"""The documents for the people who carry this on stay true: every `portal.module.name` they cite exists
(tests/test_rules_pointers.py checks that nothing points outside the repository)."""
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([*ROOT.glob("docs/**/*.md"), ROOT / "ARCHITECTURE.md", ROOT / "CONTRIBUTING.md", ROOT / "README.md"])
CITED = re.compile(r"`(portal(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?:\(\))?`")
# ARCHITECTURE.md's rule table names code as `portal/pkg/module.py`:`function`.
CITED_FILE = re.compile(r"`(portal/[A-Za-z0-9_/]+)\.py`(?::`([A-Za-z_][A-Za-z0-9_.]*)`)?")


def resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


def citations():
    for doc in DOCS:
        if doc.exists():
            text = doc.read_text(encoding="utf-8")
            for match in CITED.finditer(text):
                yield doc.relative_to(ROOT).as_posix(), match.group(1)
            for match in CITED_FILE.finditer(text):
                module = match.group(1).replace("/", ".").removesuffix(".__init__")
                yield doc.relative_to(ROOT).as_posix(), module + (f".{match.group(2)}" if match.group(2) else "")


def _missing(doc: str) -> list[str]:
    missing = []
    for _doc, dotted in sorted({c for c in citations() if c[0] == doc}):
        try:
            resolve(dotted)
        except (ModuleNotFoundError, AttributeError) as exc:
            missing.append(f"{dotted} ({exc})")
    return missing


# One test per document, not per name: the names need no app or database, and the ~1,000 citations each built
# an app and a database on both backends (about 4 minutes of the suite's run for a dictionary lookup each).
@pytest.mark.parametrize("doc", sorted({doc for doc, _dotted in citations()}))
def test_every_cited_code_name_exists(doc):
    missing = _missing(doc)
    assert not missing, f"{doc} cites names that do not exist: " + "; ".join(missing)
