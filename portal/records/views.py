"""Record-book screens: unit requests, county issuance (single and bulk), page and PDF."""
from . import models  # noqa: F401  (create_all sees the tables)
