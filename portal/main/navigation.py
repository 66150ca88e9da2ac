"""The main menu: every item is shown only to roles its route policy allows."""
from flask_babel import lazy_gettext as _l

from ..access import may_call

MENU = [
    ("main.home", _l("Home")),
    ("volunteers.index", _l("Volunteers")),
    ("units.index", _l("Units")),
]


def menu_items():
    return [(endpoint, label) for endpoint, label in MENU if may_call(endpoint)]
