"""Bad input: a clear error naming file and line, nothing published; --on-error skip reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tre.cli import main
from tre.config import load_settings
from tre.lake import fhir
from tre.lake.snapshots import list_snapshots


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    return int(info.value.code or 0)


def patient(pid: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "gender": "female",
        "birthDate": "1980-02-03",
        **extra,
    }


def condition(cid: str, subject: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Condition",
        "id": cid,
        "code": {
            "coding": [
                {"system": "http://snomed.info/sct", "code": "38341003", "display": "Hypertension"}
            ]
        },
    }
    if subject:
        body["subject"] = {"reference": subject}
    return body


def write_ndjson(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    assert run(["init"]) == 0
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


GOOD = [json.dumps(patient("p1")), json.dumps(condition("c1", "Patient/p1"))]


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ('{"resourceType": "Condition", "id": "c2", ', "malformed JSON"),
        (json.dumps({"resourceType": "MedicationOrder", "id": "m1"}), "not a FHIR R4 resource"),
        (
            json.dumps({**condition("c3", "Patient/p1"), "context": {"reference": "Encounter/e"}}),
            "not a FHIR R4 resource",
        ),
        (json.dumps(condition("c4", None)), "missing or unresolvable subject"),
        (
            json.dumps({"resourceType": "Frobnicator", "id": "f1"}),
            "unknown or missing resourceType",
        ),
        ('["not", "a", "resource"]', "unknown or missing resourceType"),
    ],
)
@pytest.mark.parametrize("name", ["mixed.ndjson", "Condition.ndjson"])  # batch / bulk path
def test_bad_ndjson_line_names_file_and_line(
    folder: Path, capsys: pytest.CaptureFixture[str], bad_line: str, expected: str, name: str
) -> None:
    path = write_ndjson(folder / name, [*GOOD, bad_line, *GOOD])
    assert run(["lake", "ingest", "fhir", str(path), "--source", "test"]) == 6
    err = capsys.readouterr().err
    assert err.count("\n") == 1, "one line, no traceback"
    assert f"{path}: line 3: {expected}" in err
    assert list_snapshots(load_settings()) == []
    # skipped and reported instead
    assert (
        run(
            [
                "lake",
                "ingest",
                "fhir",
                str(path),
                "--source",
                "test",
                "--on-error",
                "skip",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert sum(out["skipped"].values()) == 1
    # the patient appears twice in the input: one row per person
    assert out["tables"]["patient"]["rows"] == 1 and out["tables"]["condition"]["rows"] == 2
    manifest = list_snapshots(load_settings())[0]
    assert manifest["skipped"]["records"][0]["line"] == 3


def test_malformed_bundle_names_its_line(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = folder / "bundle.json"
    path.write_text('{"resourceType": "Bundle",\n "type": "collection",\n "entry": [\n  {,}\n]}')
    assert run(["lake", "ingest", "fhir", str(path), "--source", "test"]) == 6
    assert f"{path}: line 4: malformed JSON" in capsys.readouterr().err


def test_bundle_entry_problem_names_the_entry(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder / "bundle.json"
    entries = [{"resource": patient("p1")}, {"resource": condition("c1", None)}]
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}))
    assert run(["lake", "ingest", "fhir", str(path), "--source", "test"]) == 6
    assert f"{path}: entry 2: missing or unresolvable subject" in capsys.readouterr().err


@pytest.mark.parametrize("content", ["", "\n\n", '{"resourceType": "Bundle", "type": "batch"}'])
def test_empty_input(folder: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    path = folder / ("empty.json" if content.startswith("{") else "empty.ndjson")
    path.write_text(content)
    assert run(["lake", "ingest", "fhir", str(path), "--source", "test"]) == 6
    assert "empty input" in capsys.readouterr().err
    assert list_snapshots(load_settings()) == []


def test_empty_folder_and_missing_path(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["lake", "ingest", "fhir", str(folder), "--source", "test"]) == 6
    assert "empty input" in capsys.readouterr().err
    assert run(["lake", "ingest", "fhir", str(folder / "nope.ndjson"), "--source", "test"]) == 6


def test_error_messages_carry_no_record_values(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "Zebediah-Unique-Surname"
    bad = json.dumps(
        {
            **condition("c9", f"Patient/{secret}"),
            "subject": {"reference": f"Group/{secret}", "display": secret},
        }
    )
    path = write_ndjson(folder / "x.ndjson", [json.dumps(patient(secret)), bad])
    assert run(["lake", "ingest", "fhir", str(path), "--source", "test"]) == 6
    captured = capsys.readouterr()
    assert secret not in captured.err and secret not in captured.out


def test_identifier_leak_fails_the_ingest_and_publishes_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A family name equal to a code display: the sweep must catch it in condition.code_display.
    named = patient("p1", name=[{"family": "Hypertension", "given": ["Anna"]}])
    path = write_ndjson(folder / "x.ndjson", [json.dumps(named), GOOD[1]])
    assert run(["lake", "ingest", "fhir", str(path), "--source", "test"]) == 6
    err = capsys.readouterr().err
    assert "condition.code_display" in err and "nothing was published" in err
    assert list_snapshots(load_settings()) == []
    assert not any((load_settings().lake_path / ".staging").glob("*"))


def test_identifier_leak_in_bulk_export_files_fails_the_ingest(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same leak through the bulk-export fast path (one file per resource type).
    named = patient("p1", name=[{"family": "Hypertension", "given": ["Anna"]}])
    write_ndjson(folder / "Patient.ndjson", [json.dumps(named)])
    write_ndjson(folder / "Condition.ndjson", [GOOD[1]])
    assert run(["lake", "ingest", "fhir", str(folder), "--source", "test"]) == 6
    err = capsys.readouterr().err
    assert "condition.code_display" in err and "nothing was published" in err
    assert list_snapshots(load_settings()) == []
    assert not any((load_settings().lake_path / ".staging").glob("*"))


@pytest.mark.parametrize("name", ["Condition.ndjson", "mixed.ndjson"])  # fast, batch path
def test_a_raw_resource_id_in_the_output_fails_the_ingest(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # A table definition that forgot to pseudonymise its own id: the sweep must catch it.
    select = fhir.table_select_sql

    def leaking(table: Any, *, parsed: bool = False) -> str:
        return select(table, parsed=parsed).replace("lake_own('Condition', rid)", "rid")

    monkeypatch.setattr(fhir, "table_select_sql", leaking)
    write_ndjson(folder / "Patient.ndjson", [GOOD[0]])
    write_ndjson(folder / name, [json.dumps(condition("cond-4711", "Patient/p1"))])
    assert run(["lake", "ingest", "fhir", str(folder), "--source", "test"]) == 6
    err = capsys.readouterr().err
    assert "condition.condition_id" in err and "cond-4711" not in err
    assert list_snapshots(load_settings()) == []


def test_invalid_utf8_is_reported_with_its_file(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder / "latin1.ndjson"
    path.write_bytes(
        GOOD[0].encode()
        + b"\n"
        + '{"resourceType": "Patient", "id": "Müller"}'.encode("latin-1")
        + b"\n"
    )
    assert run(["lake", "ingest", "fhir", str(path), "--source", "test"]) == 6
    err = capsys.readouterr().err
    assert f"{path.name}: lines 1-2: not valid UTF-8" in err
    assert list_snapshots(load_settings()) == []
