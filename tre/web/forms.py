"""The portal's forms: what was typed, read into the services' inputs, and the problems found
put next to the fields they belong to (what was typed is always shown again as typed).

The application form is the application schema (`tre.application`) in form fields: each
dataset's columns are checkboxes `<dataset>::<column>`, the team is names separated by spaces
or commas, the period two dates. `application_input` turns the fields into the schema's input
and `application_fields` turns an application back into fields (to answer questions, or to
show a draft).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from tre.application import ApplicationInvalid
from tre.errors import PolicyDenied, UserError
from tre.i18n import translate_reason

TEXT_FIELDS = (
    "title",
    "organisation",
    "lay_summary",
    "purpose",
    "purpose_description",
    "lawful_basis",
    "expected_outputs",
    "team",
    "period_start",
    "period_end",
    "tier",
)
SEPARATOR = "::"


def typed(form: FormData, fields: tuple[str, ...] = TEXT_FIELDS) -> dict[str, Any]:
    """The form as typed: each text field, and the checked columns."""
    raw: dict[str, Any] = {name: str(form.get(name, "")) for name in fields}
    raw["columns"] = [str(v) for v in form.getlist("columns")]
    return raw


def checked_columns(values: list[str]) -> dict[str, list[str]]:
    datasets: dict[str, list[str]] = {}
    for value in values:
        name, _sep, column = value.partition(SEPARATOR)
        if name and column and column not in datasets.setdefault(name, []):
            datasets[name].append(column)
    return datasets


def application_input(raw: dict[str, Any]) -> dict[str, Any]:
    """The schema's input from the typed fields (an empty field is a missing one)."""
    data: dict[str, Any] = {
        name: raw[name].strip()
        for name in TEXT_FIELDS
        if name not in ("team", "period_start", "period_end") and raw.get(name, "").strip()
    }
    data["datasets"] = checked_columns(raw.get("columns", []))
    data["team"] = [t for t in re.split(r"[\s,、]+", raw.get("team", "")) if t]
    period = {
        key: raw[f"period_{key}"].strip()
        for key in ("start", "end")
        if raw.get(f"period_{key}", "").strip()
    }
    if period:
        data["period"] = period
    return data


def application_fields(application: dict[str, Any]) -> dict[str, Any]:
    """Form fields showing an application (the schema's shape)."""

    def day(value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(value or "")

    period = application.get("period") or {}
    return {
        **{name: str(application.get(name) or "") for name in TEXT_FIELDS if name in application},
        "team": " ".join(application.get("team") or []),
        "period_start": day(period.get("start")),
        "period_end": day(period.get("end")),
        "columns": [
            f"{name}{SEPARATOR}{column}"
            for name, columns in (application.get("datasets") or {}).items()
            for column in columns
        ],
    }


def field_of(problem_field: str) -> str:
    """The form field that shows a problem of the schema's field."""
    if problem_field.startswith("period"):
        return "period_start" if problem_field == "period.start" else "period_end"
    return problem_field


def problems(exc: UserError, lang: str) -> tuple[dict[str, str], list[str]]:
    """(problems by field, problems of the whole form) of a refusal, in `lang`."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    if isinstance(exc, ApplicationInvalid):
        for name, message in exc.problems:
            if name == "application":
                general.append(message)
            else:
                by_field.setdefault(field_of(name), message)
    elif isinstance(exc, PolicyDenied):
        for reason in exc.reasons:
            text = translate_reason(reason, lang)
            if reason.startswith("team member") or "named in its team" in reason:
                by_field.setdefault("team", text)
            else:
                general.append(text)
    else:
        general.append(exc.message)
    return by_field, general
