"""The kinds of import the pipeline knows. A feature adds its kind by listing its module here.

Each module calls `register(ImportKind(...))` when imported; modules are loaded on first use so
that feature packages can depend on the pipeline without import cycles.
"""
import importlib

from flask_login import current_user

KIND_MODULES = (
    "portal.hours.importer",    # hours: MOHW 17-column template and the portal's template
    "portal.imports.roster",    # volunteers: the roster template (roster.csv columns)
    "portal.training.import_registration",  # training: records matched later to certificate files
    "portal.honor_cards.importing",  # honor cards: county authorities only
    "portal.awards.importing",       # other awards: authorities only, with provenance
)

_KINDS: dict = {}
_loaded = False


def register(kind):
    _KINDS[kind.key] = kind
    return kind


def kinds() -> dict:
    global _loaded
    if not _loaded:
        for name in KIND_MODULES:
            importlib.import_module(name)
        _loaded = True
    return _KINDS


def get(key: str):
    return kinds().get(key)


def allowed(user=None) -> list:
    """The kinds the user's role may import, in registry order."""
    role = getattr(user or current_user, "role", None)
    return [kind for kind in kinds().values() if role in kind.roles]


def template(name: str):
    """(kind, label, builder) of a downloadable template by file name."""
    for kind in kinds().values():
        if name in kind.templates:
            label, builder = kind.templates[name]
            return kind, label, builder
    return None
