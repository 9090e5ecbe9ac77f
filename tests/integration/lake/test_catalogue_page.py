"""The public data catalogue page: every table and column described, in English and Japanese."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

from tre.cli.init import initialise
from tre.config import load_settings
from tre.i18n import translate_description
from tre.lake.fhir_tables import DESCRIPTIONS, TABLES
from tre.lake.ingest import ingest_fhir
from tre.web.app import create_app

with warnings.catch_warnings():  # starlette warns that it prefers httpx2 (not installed)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_every_lake_description_reads_in_japanese() -> None:
    texts = set(DESCRIPTIONS.values()) | {c.description for t in TABLES for c in t.columns}
    assert sorted(t for t in texts if not JAPANESE.search(translate_description(t, "ja"))) == []
    assert translate_description("Code of the condition.", "ja") == "病態のコード。"
    assert translate_description("Code of the condition.", "en") == "Code of the condition."


def test_catalogue_page_in_both_languages(tre_home: Path, tmp_path: Path) -> None:
    settings = load_settings()
    initialise(settings)
    folder = tmp_path / "in"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-02-03"}
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
    }
    (folder / "Patient.ndjson").write_text(json.dumps(patient) + "\n")
    (folder / "Condition.ndjson").write_text(json.dumps(condition) + "\n")
    ingest_fhir(settings, [folder], "test", actor="test-admin")
    client = TestClient(create_app(settings))
    en = client.get("/catalogue?lang=en").text
    assert "test.condition" in en and "Code of the condition." in en
    assert "Diagnoses and problems, coded, with onset and abatement." in en
    ja = client.get("/catalogue?lang=ja").text
    assert "病態のコード。" in ja and "診断と問題（コード化）、発症と軽快の日時つき。" in ja
    assert "Code of the condition." not in ja
