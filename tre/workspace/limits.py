"""The workspace limits of this deployment: `tre.workspace.transfer.Limits` from the settings."""

from __future__ import annotations

from dataclasses import fields

from tre.config import Settings
from tre.workspace.transfer import Limits


def workspace_limits(settings: Settings) -> Limits:
    """Each `Limits` field from the setting `workspace_<field>`."""
    return Limits(**{f.name: getattr(settings, f"workspace_{f.name}") for f in fields(Limits)})
