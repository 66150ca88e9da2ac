"""Importing this module offers the training template in the import pipeline (see import_kind.py)."""
from portal.imports.registry import register
from .import_kind import TRAINING_KIND

register(TRAINING_KIND)
