"""The kinds of import the pipeline offers. portal/kinds.py installs them, in one explicit list,
when the app is built; a feature defines its kind as a plain module constant."""
from flask_login import current_user

_KINDS: dict = {}


def install(kinds) -> None:
    """Offer exactly these kinds, in this order (create_app calls it; tests may call it again)."""
    _KINDS.clear()
    for kind in kinds:
        _KINDS[kind.key] = kind


def kinds() -> dict:
    return _KINDS


def get(key: str):
    return _KINDS.get(key)


def allowed(user=None) -> list:
    """The kinds the user's role may import, in the installed order."""
    role = getattr(user or current_user, "role", None)
    return [kind for kind in _KINDS.values() if role in kind.roles]


def template(name: str):
    """(kind, label, builder) of a downloadable template by file name."""
    for kind in _KINDS.values():
        if name in kind.templates:
            label, builder = kind.templates[name]
            return kind, label, builder
    return None
