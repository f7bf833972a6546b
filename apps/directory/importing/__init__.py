"""Imports of the national extracts (Annuaire Santé professionals, FINESS establishments) into
the directory of the current CPTS, filtered to its communes.

Two phases: *parse* streams each file line by line (constant memory: only lines of the territory
are kept) and checks it; *write* applies everything in one transaction. A structurally broken
file raises :class:`BrokenFile` during the parse phase, before anything is written.
"""

from .common import BrokenFile, ImportReport
from .run import run_import

__all__ = ["BrokenFile", "ImportReport", "run_import"]
