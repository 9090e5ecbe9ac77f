"""One file-type module for intake, checks and the pre-check; profiles as published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tre.airlock import filetypes as intake_types
from tre.sdc import SdcParams, filetype, tabulate

from .helpers import check, rules, write_csv

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "payload",
    [
        '<link rel="stylesheet" href="https://example.invalid/x.css">',
        '<meta http-equiv="refresh" content="0">',
        "<style>@import 'https://example.invalid/x.css';</style>",
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    ],
)
def test_active_content_the_intake_refused_is_blocked_by_the_checks_too(
    tmp_path: Path, payload: str
) -> None:
    path = tmp_path / "page.html"
    path.write_text(f"<!doctype html><html><body>{payload}</body></html>")
    assert intake_types.has_active_content(path)
    assert rules(check(path)).get("active-content") == "block"


def test_one_sidecar_suffix() -> None:
    assert intake_types.SIDECAR_SUFFIX is filetype.SIDECAR_SUFFIX
    assert not hasattr(tabulate, "SIDECAR_SUFFIX")
    assert filetype.sidecar_path("outputs/t.csv").name == "t.csv" + filetype.SIDECAR_SUFFIX


def test_intake_and_checks_agree_on_kinds() -> None:
    for ext, kind in intake_types.ACCEPTED.items():
        assert filetype.EXTENSION_KIND[ext.lstrip(".")] == kind


def test_policy_profiles_are_the_built_in_ones() -> None:
    data = json.loads((REPO / "policies" / "data.json").read_text())
    profiles = data["tre"]["params"]["sdc_profiles"]
    for name in ("acro", "opensafely", "ndb"):
        assert SdcParams.profile_named(name, profiles) == SdcParams.profile_named(name)
    high = SdcParams.from_mapping(data, "high")
    assert (high.profile, high.threshold, high.zeros) == ("acro", 20, "disclosive")


def test_profiles_change_verdicts(tmp_path: Path) -> None:
    zero = write_csv(tmp_path / "z.csv", ["sex", "a", "b"], [["F", 0, 520], ["M", 435, 488]])
    assert check(zero, SdcParams.profile_named("acro")).verdict == "block"
    assert check(zero, SdcParams.profile_named("ndb")).verdict == "pass"
    seven = write_csv(tmp_path / "s.csv", ["g", "n"], [["a", 8], ["b", 1500], ["c", 2500]])
    assert rules(check(seven, SdcParams.profile_named("acro")))["threshold"] == "block"
    assert "threshold" not in rules(check(seven, SdcParams.profile_named("opensafely")))
    with pytest.raises(Exception, match="profile"):
        SdcParams.profile_named("lenient")
