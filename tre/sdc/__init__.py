"""Automated disclosure checks (statistical disclosure control) for outputs.

Pure functions over files, Arrow and DuckDB: no web, no database, no policy reading; the
parameters (`SdcParams`) are passed in. Entry point: `check_file(path, params, context)`.
"""

from tre.sdc.check import CheckContext, check_file, check_table
from tre.sdc.findings import FileReport, Finding
from tre.sdc.params import SdcParams

__all__ = ["CheckContext", "FileReport", "Finding", "SdcParams", "check_file", "check_table"]
