"""Audit batch scans: read files (with a column mapping), check every record in parallel, resumably.

Stages, in order: ``readers`` (rows from files) → ``mapping`` (rows to records, problems listed) →
``prepare`` (parse, order by date, window aggregates per record over the whole batch) → ``runner`` /
``dask_runner`` (fan out to workers, one engine each); when the batch is the whole history, ``parallel`` instead
routes rows to partitions by the windows' keys (``partition``) and the workers parse, index and evaluate them
→ ``checkpoint`` (results stored as they finish)
→ ``conduct_engine.reports`` (JSON Lines, CSV, SARIF, JUnit, XLSX, HTML).
"""

from __future__ import annotations

from conduct_engine import error_codes
from conduct_engine.errors import ConductError


class ScanInputError(ConductError):
    """A scan cannot start: a missing or unreadable input, a bad mapping, a mismatched checkpoint."""

    code = error_codes.SCAN_INPUT
