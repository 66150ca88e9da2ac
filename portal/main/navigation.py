"""The main menu: every item is shown only to roles its route policy allows."""
from flask_babel import lazy_gettext as _l

from portal.platform.access import may_call

# Items whose endpoint does not exist yet are simply not shown (may_call is False).
MENU = [
    ("main.home", _l("Home")),
    ("stats.index", _l("Dashboard")),
    ("volunteers.index", _l("Volunteers")),
    ("hours.index", _l("Service hours")),
    ("training.index", _l("Training")),
    ("records.index", _l("Record books")),
    ("insurance.index", _l("Insurance")),
    ("honor_cards.index", _l("Honor cards")),
    ("awards.index", _l("Awards")),
    ("certificates.index", _l("Documents")),
    ("resolutions.index", _l("Resolutions")),
    ("imports.index", _l("Imports")),
    ("units.index", _l("Units")),
    ("unit_registration.index", _l("Unit registrations")),
    ("api_clients.clients", _l("Partner systems")),
    ("admin.index", _l("Accounts")),
]


def menu_items():
    return [(endpoint, label) for endpoint, label in MENU if may_call(endpoint)]
