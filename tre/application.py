"""A project application (YAML), validated, with datasets checked against the lake catalogue."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tre.config import Settings
from tre.db.models import Purpose
from tre.errors import InputError
from tre.i18n import _


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError("the period must end after it starts")
        return self


class Application(BaseModel):
    """What an applicant asks for. `datasets` maps `<source>.<table>` to column names."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=300)
    lay_summary: str = Field(min_length=20, max_length=5000)
    purpose: Purpose
    organisation: str = Field(min_length=2, max_length=300)
    datasets: dict[str, list[str]] = Field(min_length=1)
    period: Period

    @model_validator(mode="after")
    def _columns_given(self) -> Application:
        for name, columns in self.datasets.items():
            if not columns:
                raise ValueError(f"dataset {name} lists no columns")
            if len(set(columns)) != len(columns):
                raise ValueError(f"dataset {name} lists a column twice")
        return self


def read_application(path: Path) -> Application:
    """Parse and validate an application file; errors name the field, never its value."""
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(_("{path} does not exist.").format(path=path)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise InputError(
            _("{path} is not valid YAML{where}.").format(path=path, where=where)
        ) from None
    if not isinstance(raw, dict):
        raise InputError(_("{path} must be a YAML mapping of fields.").format(path=path))
    try:
        return Application.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'application'}: {err['msg']}"
            for err in exc.errors(include_input=False)
        )
        purposes = ", ".join(p.value for p in Purpose)
        raise InputError(
            _("{path} is not a valid application: {problems}.").format(
                path=path, problems=problems
            ),
            hint=_("Purposes are: {purposes}.").format(purposes=purposes),
        ) from None


def load_catalogue(settings: Settings) -> Any:
    """The lake catalogue (`tre.lake.catalog.load_catalog`)."""
    from tre.lake.catalog import load_catalog

    return load_catalog(settings)


def check_against_catalogue(settings: Settings, application: Application) -> str:
    """Refuse datasets or columns the lake does not hold; return the highest tier asked for."""
    catalog = load_catalogue(settings)
    known = {dataset.name: dataset for dataset in catalog.datasets}
    problems: list[str] = []
    tiers: set[str] = set()
    for name, columns in application.datasets.items():
        dataset = known.get(name)
        if dataset is None:
            problems.append(_("dataset {name} is not in the lake catalogue").format(name=name))
            continue
        tiers.add(str(getattr(dataset, "tier", "standard") or "standard"))
        have = {column.name for column in dataset.columns}
        for column in columns:
            if column not in have:
                problems.append(
                    _("dataset {name} has no column {column}").format(name=name, column=column)
                )
    if problems:
        raise InputError(
            "; ".join(problems) + ".",
            hint=_("See `tre lake catalog` for the datasets and columns available."),
        )
    return "high" if "high" in tiers else "standard"
