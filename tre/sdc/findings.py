"""What a check reports: findings and a per-file verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tre.sdc._i18n import Message

Severity = Literal["block", "review", "info"]
Verdict = Literal["block", "review", "pass"]

SEVERITY_ORDER: dict[str, int] = {"info": 0, "review": 1, "block": 2}


@dataclass
class Finding:
    """One reason a file may be disclosive.

    `cells` are `(row, column)` pairs: `row` is the 0-based data row of the file (header
    excluded), `column` the column's header. `message` is for people and never contains a
    record value.
    """

    rule: str
    severity: Severity
    message: str
    columns: list[str] = field(default_factory=list)
    cells: list[tuple[int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "message": str(self.message),
            "columns": list(self.columns),
            "cells": [list(cell) for cell in self.cells],
        }
        if isinstance(self.message, Message):  # so a reader can have it in their language
            data["message_id"] = self.message.msgid
            data["message_params"] = {
                k: v if isinstance(v, int | float | str) else str(v)
                for k, v in self.message.params.items()
            }
        return data


@dataclass
class FileReport:
    """The findings for one file; `verdict` is the most severe (info counts as pass)."""

    path: str
    detected_type: str
    size: int
    findings: list[Finding] = field(default_factory=list)
    provenance: str | None = None  # verified / differs / unverified, set by the airlock

    @property
    def verdict(self) -> Verdict:
        worst = max((SEVERITY_ORDER[f.severity] for f in self.findings), default=0)
        return "block" if worst == 2 else "review" if worst == 1 else "pass"

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "detected_type": self.detected_type,
            "size": self.size,
            "verdict": self.verdict,
            "provenance": self.provenance,
            "findings": [f.to_dict() for f in self.findings],
        }
