"""Accept only a single read-only SELECT over the extract's tables.

Provenance SQL comes from a sidecar the analyst controls, so it is hostile input. It is parsed
with sqlglot (DuckDB dialect) and refused unless it is one query (SELECT, WITH, UNION, ...)
that names tables only as identifiers and calls no function that reads files, runs SQL text
or inspects the system. The connection that runs it also disables external access, so this is
one of two independent barriers.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from tre.errors import InputError
from tre.sdc._i18n import _

_DENIED_FUNCTION = re.compile(
    r"^(read_\w*|\w*_scan|scan_\w*|glob|query|query_table|query_table_by_name|getenv|"
    r"current_setting|set_config|duckdb_\w*|pragma_\w*|sniff_csv|parquet_\w*|sqlite_\w*|"
    r"postgres_\w*|mysql_\w*|iceberg_\w*|delta_\w*|json_execute_serialized_sql|"
    r"\w*_attach|load|install|system|shell|write_\w*|copy|export_\w*|http\w*|s3\w*|"
    r"read|readcsv|readparquet|readjson)$",
    re.IGNORECASE,
)
_PATH_LIKE = re.compile(r"[./\\:*?~]")


def ensure_read_only_select(sql: str) -> exp.Query:
    """Return the parsed query, or raise InputError saying why it is refused."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise _refused(_("it cannot be parsed")) from exc
    if len(statements) != 1:
        raise _refused(_("it must be exactly one statement"))
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise _refused(_("only SELECT queries can be re-executed"))
    for node in tree.walk():
        if isinstance(node, exp.DDL | exp.DML | exp.Command | exp.Pragma | exp.Set | exp.Use):
            raise _refused(_("it contains a statement other than SELECT"))
        if isinstance(node, exp.Table):
            target = node.this
            if not isinstance(target, exp.Identifier) or _PATH_LIKE.search(target.name):
                raise _refused(_("it reads from something other than the extract's tables"))
        if isinstance(node, exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            if _DENIED_FUNCTION.match(name or ""):
                raise _refused(_("it calls a function that reads files or runs other SQL"))
    return tree


def _refused(reason: str) -> InputError:
    return InputError(
        _("The provenance SQL is refused: {reason}.").format(reason=reason),
        hint=_("Only a single read-only SELECT over the extract's tables is re-executed."),
    )
