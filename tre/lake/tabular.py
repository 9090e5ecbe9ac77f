"""`tre lake ingest table SPEC.yaml`: a CSV or Parquet file under a declarative spec.

    source: claims                      # lake source name
    file: claims.csv                    # relative to the spec file
    table: claims                       # optional, default the file's stem
    person:
      column: ssn                       # the person identifier (removed, becomes person_id)
      system: http://hl7.org/fhir/sid/us-ssn   # optional: links to sources sharing it
    # or an identifier held in several columns, joined with ':' in this order, e.g. the
    # Japanese insurance identity 保険者番号:記号:番号:枝番 (normalised, tre.lake.linkage):
    #   person:
    #     columns: [insurer_no, symbol, number, branch]
    #     system: http://jpfhir.jp/fhir/clins/Idsystem/JP_Insurance_memberID
    columns:                            # every column kept, and how it is generalised
      service_date: month               # keep | year | month | band
      amount: {generalise: band, width: 100, description: Claimed amount}
      diagnosis: keep
    drop: [patient_name, phone]         # removed

Every column of the file must be the person column, a kept column or a dropped one:
an undeclared column is rejected, never passed through. The whole transformation is one
DuckDB query streamed into Parquet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tre.config import Settings
from tre.errors import InputError
from tre.i18n import _
from tre.lake.events import record_event
from tre.lake.fhir import prepare
from tre.lake.ingest import check_source, tiers_for
from tre.lake.publish import Outcome, TablePart, connect, engine_errors, finish
from tre.lake.snapshots import lake_lock, new_snapshot_id, staged
from tre.sql import identifier, literal

GENERALISERS = ("keep", "year", "month", "band")


def _spec_error(spec_path: Path, problem: str) -> InputError:
    return InputError(f"{spec_path}: {problem}", hint=_("See docs/lake.md for the spec format."))


def load_spec(spec_path: Path) -> dict[str, Any]:
    """Parse and check the spec's shape (not yet against the data)."""
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(_("{path}: no such file.").format(path=spec_path)) from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        raise _spec_error(spec_path, _("line {line}: not valid YAML.").format(line=line)) from None
    if not isinstance(spec, dict):
        raise _spec_error(spec_path, _("the spec must be a mapping."))
    for key in ("source", "file", "person", "columns"):
        if key not in spec:
            raise _spec_error(spec_path, _("missing key '{key}'.").format(key=key))
    person = spec["person"]
    if not isinstance(person, dict) or ("column" in person) == ("columns" in person):
        raise _spec_error(spec_path, _("'person' needs a 'column' or a list of 'columns'."))
    if "columns" in person:
        parts = person["columns"]
        if not (isinstance(parts, list) and parts and all(isinstance(c, str) for c in parts)):
            raise _spec_error(spec_path, _("'person: columns' must be a list of column names."))
        if not person.get("system"):
            raise _spec_error(
                spec_path, _("'person: columns' needs the 'system' their joined value is of.")
            )
    person["columns"] = [str(c) for c in person.get("columns") or [person["column"]]]
    columns: dict[str, dict[str, Any]] = {}
    for name, rule in (spec["columns"] or {}).items():
        rule = {"generalise": rule} if isinstance(rule, str) else dict(rule or {})
        rule.setdefault("generalise", "keep")
        if rule["generalise"] not in GENERALISERS:
            raise _spec_error(
                spec_path,
                _("column '{name}': generalise must be one of {options}.").format(
                    name=name, options=", ".join(GENERALISERS)
                ),
            )
        if rule["generalise"] == "band" and not (
            isinstance(rule.get("width"), int | float) and rule["width"] > 0
        ):
            raise _spec_error(
                spec_path, _("column '{name}': a band needs a positive width.").format(name=name)
            )
        columns[str(name)] = rule
    spec["columns"] = columns
    spec["drop"] = [str(c) for c in spec.get("drop") or []]
    file_path = Path(spec["file"])
    spec["file"] = file_path if file_path.is_absolute() else spec_path.parent / file_path
    spec.setdefault("table", spec["file"].name.split(".")[0].lower())
    return spec


def _reader_sql(path: Path, person_columns: list[str]) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return f"read_parquet({literal(str(path))})"
    if name.endswith((".csv", ".csv.gz", ".tsv")):
        # Identifiers are text: leading zeros matter (保険者番号 06123456).
        types = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in person_columns) + "}"
        return f"read_csv({literal(str(path))}, header = true, types = {types})"
    raise InputError(
        _("{path}: not a CSV or Parquet file.").format(path=path),
        hint=_("Tabular sources must be *.csv or *.parquet."),
    )


def _column_sql(name: str, rule: dict[str, Any]) -> tuple[str, str]:
    """(SQL expression, description) for one kept column."""
    col = identifier(name)
    how = rule["generalise"]
    described = rule.get("description")
    if how == "year":
        return f"strftime(try_cast({col} AS DATE), '%Y')", described or f"{name}, year only."
    if how == "month":
        return (
            f"strftime(try_cast({col} AS DATE), '%Y-%m')",
            described or f"{name}, year and month only ('YYYY-MM').",
        )
    if how == "band":
        width = float(rule["width"])
        return (
            f"floor(try_cast({col} AS DOUBLE) / {width}) * {width}",
            described or f"{name}, lower bound of a band of width {rule['width']:g}.",
        )
    return col, described or f"{name}."


def ingest_table(settings: Settings, spec_path: Path, *, actor: str) -> dict[str, Any]:
    """Ingest one tabular file under its spec into a new snapshot, audited as `actor`;
    return the manifest."""
    spec = load_spec(spec_path)
    source = str(spec["source"])
    check_source(source)
    table = str(spec["table"])
    data_path: Path = spec["file"]
    if not data_path.is_file():
        raise _spec_error(
            spec_path, _("the data file {path} does not exist.").format(path=data_path)
        )
    person_columns: list[str] = spec["person"]["columns"]
    system = spec["person"].get("system")
    key = settings.read_lake_key()
    with engine_errors(), lake_lock(settings), staged(settings, new_snapshot_id(source)) as staging:
        con = connect(staging, settings)
        prepare(con, source, key)
        reader = _reader_sql(data_path, person_columns)
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        except Exception:
            raise InputError(
                _("{path}: the file cannot be read as a table.").format(path=data_path),
                hint=_("Check that it is a CSV with a header row, or a Parquet file."),
            ) from None
        present = {str(r[0]): str(r[1]) for r in described}
        declared = {*person_columns, *spec["columns"], *spec["drop"]}
        undeclared = sorted(set(present) - declared)
        if undeclared:
            raise _spec_error(
                spec_path,
                _(
                    "columns not declared in the spec: {names}. Declare each under 'columns' "
                    "(kept) or 'drop'."
                ).format(names=", ".join(undeclared)),
            )
        missing = sorted(declared - set(present))
        if missing:
            raise _spec_error(
                spec_path,
                _("columns missing from the data: {names}.").format(names=", ".join(missing)),
            )
        trimmed = [f"trim({identifier(c)}::VARCHAR)" for c in person_columns]
        pid = trimmed[0] if len(trimmed) == 1 else f"concat_ws(':', {', '.join(trimmed)})"
        blank = con.execute(
            f"SELECT count(*) FROM {reader} WHERE "
            + " OR ".join(f"nullif({t}, '') IS NULL" for t in trimmed)
        ).fetchone()
        if blank and blank[0]:
            raise InputError(
                _("{path}: {n} row(s) have no value in the person column.").format(
                    path=data_path, n=blank[0]
                ),
                hint=_("Every row must identify its person; remove or fix those rows."),
            )
        removed = [pid, *trimmed] if len(trimmed) > 1 else [pid]
        removed += [
            f"trim({identifier(c)}::VARCHAR)" for c in spec["drop"] if present[c] == "VARCHAR"
        ]
        for value in removed:
            con.execute(
                f"INSERT INTO removed SELECT DISTINCT {value} FROM {reader} "
                f"WHERE length({value}) >= 2"
            )
        person_key = (
            f"linkage_key({literal(str(system))}, {pid})"
            if system
            else f"lake_hmac({literal(source)} || '|' || {pid})"
        )
        selects = [f"{person_key} AS person_id"]
        descriptions = {"person_id": ("Lake person pseudonym.", "person_id")}
        date_column = None
        for name, rule in spec["columns"].items():
            expression, description = _column_sql(name, rule)
            selects.append(f"{expression} AS {identifier(name)}")
            descriptions[name] = (description, "attribute")
            if date_column is None and rule["generalise"] in ("month", "year"):
                date_column = name
        (staging / "parts").mkdir()
        part = staging / "parts" / f"{table}.parquet"
        con.execute(
            f"COPY (SELECT {', '.join(selects)} FROM {reader}) "
            f"TO {literal(str(part))} (FORMAT parquet, COMPRESSION zstd)"
        )
        outcome = Outcome(
            source=source,
            kind="table",
            tiers=tiers_for(settings, source, [table])
            | ({table: spec["tier"]} if spec.get("tier") else {}),
            extra={"linkage_system": system, "inputs": {"files": 1}},
        )
        manifest = finish(
            con,
            settings,
            staging,
            {table: TablePart(part, descriptions, date_column, str(spec.get("description", "")))},
            outcome,
        )
    record_event(
        settings,
        actor,
        "lake.ingest",
        "snapshot",
        manifest["id"],
        {"source": source, "rows": manifest["rows"], "tables": [table]},
    )
    return manifest
