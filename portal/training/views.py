"""Training screens (under construction in the training issue)."""
from . import models  # noqa: F401  (tables registered with the app)
