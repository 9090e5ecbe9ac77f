"""A project application: one schema for the YAML file (`tre project apply FILE.yaml`) and the
portal's form, validated here, with datasets checked against the lake catalogue.

Problems are reported per field (`ApplicationInvalid.problems`: a field path and a message in
the reader's language), so the command line can list them and the portal can put each next to
its field. Messages never repeat what was typed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from tre.config import Settings
from tre.db.models import LawfulBasis, Purpose
from tre.errors import InputError
from tre.i18n import _

Tier = Literal["standard", "high"]
TIER_ORDER = ("standard", "high")

# The application's fields in the order a person fills them in (the form's order, the YAML's).
FIELDS = (
    "title",
    "organisation",
    "lay_summary",
    "purpose",
    "purpose_description",
    "lawful_basis",
    "datasets",
    "expected_outputs",
    "team",
    "period",
    "tier",
)


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise PydanticCustomError("period_order", "the period must end after it starts")
        return self


class Application(BaseModel):
    """What an applicant asks for. `datasets` maps `<source>.<table>` to column names; `team`
    names the accounts who will work on the project besides the applicant (its lead); `tier`
    is the sensitivity tier the applicant proposes (the data's own tier is the floor)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=300)
    organisation: str = Field(min_length=2, max_length=300)
    lay_summary: str = Field(min_length=20, max_length=5000)
    purpose: Purpose
    purpose_description: str = Field(min_length=20, max_length=5000)
    lawful_basis: LawfulBasis
    datasets: dict[str, list[str]] = Field(min_length=1)
    expected_outputs: str = Field(min_length=10, max_length=5000)
    team: list[str] = Field(default_factory=list, max_length=50)
    period: Period
    tier: Tier = "standard"

    @model_validator(mode="after")
    def _columns_given(self) -> Application:
        for columns in self.datasets.values():
            if not columns:
                raise PydanticCustomError("no_columns", "a dataset lists no columns")
            if len(set(columns)) != len(columns):
                raise PydanticCustomError("column_twice", "a dataset lists a column twice")
        if len(set(self.team)) != len(self.team):
            raise PydanticCustomError("team_twice", "the team names someone twice")
        return self

    def document(self) -> dict[str, Any]:
        """The application as plain data, in the YAML file's shape and field order."""
        data = self.model_dump(mode="json")
        return {name: data[name] for name in FIELDS}


def _message(error: Any) -> str:
    """A validation error in the reader's language; never the value that was given."""
    kind, ctx = error["type"], error.get("ctx") or {}
    messages = {
        "missing": _("This is required."),
        "string_too_short": _("Write at least {n} characters.").format(n=ctx.get("min_length", "")),
        "string_too_long": _("Write at most {n} characters.").format(n=ctx.get("max_length", "")),
        "too_short": _("Choose at least one."),
        "too_long": _("Name at most {n}.").format(n=ctx.get("max_length", "")),
        "enum": _("Choose one of the options."),
        "literal_error": _("Choose one of the options."),
        "extra_forbidden": _("This is not a field of an application."),
        "period_order": _("The period must end after it starts."),
        "no_columns": _("Choose at least one column of each dataset."),
        "column_twice": _("A dataset lists a column twice."),
        "team_twice": _("The team names someone twice."),
    }
    if kind in messages:
        return messages[kind]
    if kind.startswith("date"):
        return _("Give a date as YYYY-MM-DD.")
    if kind in ("string_type", "dict_type", "list_type", "model_type"):
        return _("This has the wrong form.")
    return _("This is not valid.")


def _field(loc: tuple[Any, ...]) -> str:
    """The field a problem belongs to: `period.end`, `datasets`, or `application`."""
    parts = [str(p) for p in loc]
    if not parts:
        return "application"
    if parts[0] == "period" and len(parts) > 1 and parts[1] in ("start", "end"):
        return f"period.{parts[1]}"
    return parts[0]


class ApplicationInvalid(InputError):
    """An application with problems; `problems` lists (field, message) for each."""

    def __init__(self, problems: list[tuple[str, str]], where: str = "") -> None:
        self.problems = problems
        listed = "; ".join(f"{name}: {message}" for name, message in problems)
        text = _("The application is not valid: {problems}").format(problems=listed)
        purposes = ", ".join(p.value for p in Purpose)
        bases = ", ".join(b.value for b in LawfulBasis)
        super().__init__(
            f"{where}: {text}" if where else text,
            hint=_("Purposes are: {purposes}. Lawful bases are: {bases}.").format(
                purposes=purposes, bases=bases
            ),
        )

    def by_field(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, message in self.problems:
            found.setdefault(name, message)
        return found


def validate_application(raw: dict[str, Any], where: str = "") -> Application:
    """`raw` (a parsed YAML file or the portal's form) as an Application, or ApplicationInvalid."""
    try:
        return Application.model_validate(raw)
    except ValidationError as exc:
        problems = [(_field(err["loc"]), _message(err)) for err in exc.errors(include_input=False)]
        raise ApplicationInvalid(problems, where) from None


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
    return validate_application(raw, str(path))


def to_yaml(application: Application) -> str:
    """The application as a file `tre project apply` reads back to the same application."""
    return yaml.safe_dump(application.document(), sort_keys=False, allow_unicode=True)


def load_catalogue(settings: Settings) -> Any:
    """The lake catalogue (`tre.lake.catalog.load_catalog`)."""
    from tre.lake.catalog import load_catalog

    return load_catalog(settings)


def data_tier(settings: Settings, datasets: dict[str, list[str]]) -> str:
    """The tier the data asks for (the highest of its datasets'); refuses datasets or columns
    the lake does not hold, as problems of the field `datasets`."""
    catalog = load_catalogue(settings)
    known = {dataset.name: dataset for dataset in catalog.datasets}
    problems: list[str] = []
    tiers: set[str] = set()
    for name, columns in datasets.items():
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
        raise ApplicationInvalid([("datasets", "; ".join(problems) + ".")])
    return "high" if "high" in tiers else "standard"


def check_against_catalogue(settings: Settings, application: Application) -> str:
    """Refuse datasets or columns the lake does not hold; return the project's tier: the
    proposed one, or the data's when that is higher."""
    needed = data_tier(settings, application.datasets)
    return max(needed, application.tier, key=TIER_ORDER.index)
