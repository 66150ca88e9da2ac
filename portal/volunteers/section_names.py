"""The sections of the unified volunteer view, in the order shown (no imports of other features:
volunteers/views.py registers one route per section while the app is still being built)."""
from flask_babel import lazy_gettext as _l

SECTIONS = {
    "photo": _l("ID photo"),
    "training": _l("Training"),
    "record_book": _l("Record book"),
    "insurance": _l("Insurance"),
    "hours": _l("Service hours"),
    "awards": _l("Awards"),
    "honor_cards": _l("Honor cards"),
    "documents": _l("Documents"),
    "completeness": _l("Data completeness"),
}
