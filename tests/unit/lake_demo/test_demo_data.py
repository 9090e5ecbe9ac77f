"""`tre demo-data` output: valid FHIR R4 NDJSON, linked, plausible, deterministic, streamed."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fhir.resources.R4B import get_fhir_model_class

from tre.errors import UserError
from tre.lake.synth import INSURANCE_SYSTEM, RESOURCE_TYPES, write_demo_data
from tre.lake.synth.fmt import lines_bytes
from tre.lake.synth.population import draw_patients, render_patients
from tre.lake.synth.vocab_people import PREFECTURES

PATIENTS = 300


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    out = tmp_path_factory.mktemp("demo")
    # A small chunk size makes this run cross several chunk boundaries.
    write_demo_data(out, PATIENTS, seed=7, chunk_size=128)
    return out, {rt: read_ndjson(out / f"{rt}.ndjson") for rt in RESOURCE_TYPES}


def test_writes_one_ndjson_file_per_resource_type_and_nothing_else(demo: Any) -> None:
    out, resources = demo
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{rt}.ndjson" for rt in RESOURCE_TYPES)
    for rt, rows in resources.items():
        assert rows, rt
        assert {r["resourceType"] for r in rows} == {rt}
        assert len({r["id"] for r in rows}) == len(rows), f"duplicate ids in {rt}"
    assert len(resources["Patient"]) == PATIENTS
    assert len(resources["Claim"]) == len(resources["Encounter"])  # one claim per encounter


def test_every_resource_validates_as_fhir_r4(demo: Any) -> None:
    _, resources = demo
    for rt, rows in resources.items():
        model = get_fhir_model_class(rt)
        # A sample, plus every rarer shape: panels with components, maiden names, deaths.
        rare = [r for r in rows if {"component", "deceasedDateTime", "diagnosis"} & r.keys()]
        rare += [r for r in rows if rt == "Patient" and len(r["name"]) > 2]
        for row in rows[:200] + rare[:200]:
            model.model_validate(row)
    assert any("component" in r for r in resources["Observation"][:500])


def test_summary_counts_match_the_files(tmp_path: Path) -> None:
    summary = write_demo_data(tmp_path, 40, seed=3)
    for rt in RESOURCE_TYPES:
        assert summary.resources[rt] == len(read_ndjson(tmp_path / f"{rt}.ndjson"))
        assert summary.files[f"{rt}.ndjson"] == (tmp_path / f"{rt}.ndjson").stat().st_size
    assert summary.total_resources == sum(summary.resources.values())


def _ref(value: dict[str, str], kind: str) -> str:
    prefix, _, ident = value["reference"].partition("/")
    assert prefix == kind
    return ident


def test_every_reference_resolves_within_the_output(demo: Any) -> None:
    _, r = demo
    patients = {p["id"] for p in r["Patient"]}
    encounters = {e["id"]: _ref(e["subject"], "Patient") for e in r["Encounter"]}
    conditions = {c["id"] for c in r["Condition"]}
    assert set(encounters.values()) <= patients
    for rt in ("Condition", "Observation", "MedicationRequest", "Procedure"):
        for row in r[rt]:
            patient = _ref(row["subject"], "Patient")
            encounter = _ref(row["encounter"], "Encounter")
            assert patient in patients and encounters[encounter] == patient, rt
    for claim in r["Claim"]:
        patient = _ref(claim["patient"], "Patient")
        encounter = _ref(claim["item"][0]["encounter"][0], "Encounter")
        assert encounters[encounter] == patient
        for dx in claim.get("diagnosis", []):
            assert _ref(dx["diagnosisReference"], "Condition") in conditions


def test_events_fall_inside_each_patients_life(demo: Any) -> None:
    _, r = demo
    by_id = {p["id"]: p for p in r["Patient"]}
    for enc in r["Encounter"]:
        patient = by_id[_ref(enc["subject"], "Patient")]
        start = enc["period"]["start"][:10]
        assert patient["birthDate"] <= start <= enc["period"]["end"][:10]
        if "deceasedDateTime" in patient:
            assert start <= patient["deceasedDateTime"][:10]


def test_claims_are_in_yen_and_totals_add_up(demo: Any) -> None:
    _, r = demo
    totals = []
    for claim in r["Claim"]:
        nets = [item["net"] for item in claim["item"]]
        assert {n["currency"] for n in nets} == {"JPY"} == {claim["total"]["currency"]}
        assert claim["total"]["value"] == sum(n["value"] for n in nets) > 0
        totals.append(claim["total"]["value"])
    # Log-normal costs: a long right tail (mean well above median).
    assert np.mean(totals) > 1.5 * np.median(totals)


def test_direct_identifiers_look_real(demo: Any) -> None:
    _, r = demo
    for p in r["Patient"]:
        assert re.fullmatch(r"0[789]0-\d{4}-\d{4}", p["telecom"][0]["value"])
        address = p["address"][0]
        assert re.fullmatch(r"\d{3}-\d{4}", address["postalCode"])
        assert address["line"][0] and address["city"] and address["country"] == "JP"
        assert address["text"].startswith(address["state"] + address["city"])
        kanji, kana = p["name"][0], p["name"][1]
        assert re.fullmatch(r"[ァ-ヶー]+", kana["family"]), "kana reading"
        assert kanji["text"] == f"{kanji['family']}\u3000{kanji['given'][0]}"
        systems = {i["system"] for i in p["identifier"]}
        assert INSURANCE_SYSTEM in systems
        assert any(s.startswith("urn:oid:1.2.392.100495.20.3.51.") for s in systems)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p["birthDate"])
    assert any(n["use"] == "maiden" for p in r["Patient"] for n in p["name"])
    assert any("deceasedDateTime" in p for p in r["Patient"])
    insurance = [i["value"] for p in r["Patient"] for i in p["identifier"]]
    assert len(set(insurance)) == len(insurance), "identifiers are unique"


def test_codes_use_the_standard_systems(demo: Any) -> None:
    _, r = demo
    systems = Counter()
    for rt, path in (
        ("Condition", "code"),
        ("Observation", "code"),
        ("MedicationRequest", "medicationCodeableConcept"),
        ("Procedure", "code"),
    ):
        for row in r[rt]:
            coding = row[path]["coding"][0]
            assert coding["code"] and coding["display"]
            systems[(rt, coding["system"])] += 1
    assert set(systems) == {
        ("Condition", "http://hl7.org/fhir/sid/icd-10"),
        ("Observation", "http://loinc.org"),
        ("MedicationRequest", "http://www.whocc.no/atc"),
        ("Procedure", "http://snomed.info/sct"),
    }
    icd = {row["code"]["coding"][0]["code"] for row in r["Condition"]}
    assert len(icd) > 50, "diagnoses spread over many codes"


def test_population_has_japans_shape_and_all_47_prefectures() -> None:
    rng = np.random.default_rng(11)
    people = draw_patients(rng, 8_000)
    rows = [json.loads(x) for x in bytes(lines_bytes(render_patients(rng, people, 0))).splitlines()]
    states = Counter(p["address"][0]["state"] for p in rows)
    assert set(states) == {p[1] for p in PREFECTURES}
    assert states.most_common(1)[0][0] == "東京都"
    codes = {p["address"][0]["_state"]["extension"][0]["valueCoding"]["code"] for p in rows}
    assert codes == {f"JP-{i:02d}" for i in range(1, 48)}
    assert 0.25 < np.mean(people.age >= 65) < 0.33  # Japan: about 29 % aged 65 and over
    assert np.mean(people.female[people.age >= 85]) > 0.6
    assert 0.5 < np.mean(people.female) < 0.53


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_demo_data(tmp_path / name, 60, seed=seed, chunk_size=25)
    for rt in RESOURCE_TYPES:
        a, b, c = ((tmp_path / d / f"{rt}.ndjson").read_bytes() for d in "abc")
        assert a == b, rt
        assert a != c, rt


def test_gzip_output_is_deterministic_and_replaces_plain_files(tmp_path: Path) -> None:
    write_demo_data(tmp_path / "x", 30, seed=2)
    write_demo_data(tmp_path / "x", 30, seed=2, compressed=True)
    write_demo_data(tmp_path / "y", 30, seed=2, compressed=True)
    names = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert names == sorted(f"{rt}.ndjson.gz" for rt in RESOURCE_TYPES)
    for rt in RESOURCE_TYPES:
        assert (tmp_path / "x" / f"{rt}.ndjson.gz").read_bytes() == (
            tmp_path / "y" / f"{rt}.ndjson.gz"
        ).read_bytes()
    assert len(read_ndjson(tmp_path / "x" / "Patient.ndjson.gz")) == 30


def test_an_interrupted_run_leaves_nothing_and_a_rerun_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def interrupt(_n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_demo_data(out, 50, chunk_size=10, on_chunk=interrupt)
    assert list(out.iterdir()) == []
    (out / ".demo-data.partial").mkdir()  # as if killed before cleaning up
    (out / ".demo-data.partial" / "Patient.ndjson").write_text("half")
    summary = write_demo_data(out, 50)
    assert summary.resources["Patient"] == 50
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{rt}.ndjson" for rt in RESOURCE_TYPES)


@pytest.mark.parametrize(
    ("patients", "seed", "message"),
    [(0, 1, "--patients must be at least 1"), (-5, 1, "--patients"), (3, -1, "--seed")],
)
def test_bad_numbers_are_user_errors(
    tmp_path: Path, patients: int, seed: int, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        write_demo_data(tmp_path / "out", patients, seed=seed)
    assert not (tmp_path / "out").exists()
