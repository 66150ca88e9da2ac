"""The dashboards of the authorities (county, local and central sector, ministry)."""
from . import bp  # noqa: F401
