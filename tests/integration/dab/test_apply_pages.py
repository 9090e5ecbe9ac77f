"""Applying on the portal: the form and `tre project apply FILE.yaml` are one schema; bad input
comes back next to its field with what was typed, and nothing is saved; drafts stay private."""

from __future__ import annotations

import yaml
from dab_world import application_form, client, csrf
from sqlalchemy import func, select

from tre import projects
from tre.application import read_application, validate_application
from tre.config import Settings
from tre.db import AuditEvent, Project, session_scope
from tre.web import forms


def counts(settings: Settings) -> tuple[int, int]:
    with session_scope(settings) as session:
        return (
            session.execute(select(func.count(Project.id))).scalar() or 0,
            session.execute(select(func.count(AuditEvent.seq))).scalar() or 0,
        )


def submit(c, form):  # type: ignore[no-untyped-def]
    page = c.get("/applications/new").text
    return c.post("/applications/new", data={**form, "csrf": csrf(page)}, follow_redirects=False)


def test_the_form_and_the_yaml_file_are_one_schema(world: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lena = client(world, "lena")
    r = submit(lena, application_form())
    assert r.status_code == 303 and r.headers["location"] == "/applications/p-1"
    # The portal's application, downloaded as YAML, applied from the command line's service...
    text = lena.get("/applications/p-1/application.yaml").text
    path = tmp_path / "application.yaml"
    path.write_text(text)
    assert projects.apply(world, "lena", path)["id"] == "p-2"
    first = projects.current_application(world, "lena", "p-1")
    second = projects.current_application(world, "lena", "p-2")
    assert first == second == read_application(path)
    assert first.team == ["ana"] and first.datasets["demo.condition"] == ["person_id", "code"]
    # ...and a YAML file shown in the form's fields comes back as the same application.
    fields = forms.application_fields(yaml.safe_load(text))
    assert validate_application(forms.application_input(fields)) == first


def test_bad_input_is_shown_next_to_each_field_and_nothing_is_saved(world: Settings) -> None:
    lena = client(world, "lena")
    before = counts(world)
    bad = application_form(
        title="",
        lay_summary="Too short",
        purpose="curiosity",
        period_start="2025-13-45",
        period_end="2024-01-01",
        columns=[],
        organisation="Typed organisation <b>kept</b>",
    )
    r = submit(lena, bad)
    assert r.status_code == 400
    page = r.text
    for field in ("title", "lay_summary", "purpose", "period_start", "datasets"):
        assert f'id="f-{field}-error"' in page, field
        assert f'href="#f-{field}"' in page  # listed in the summary, linked to the field
    assert 'aria-invalid="true"' in page
    assert "This is required." in page and "Write at least 20 characters." in page
    assert "Typed organisation &lt;b&gt;kept&lt;/b&gt;" in page  # kept, and escaped
    assert 'value="Too short"' not in page and ">Too short</textarea>" in page
    assert counts(world) == before  # no project, no audit event
    # The same problems in Japanese for a Japanese reader.
    lena.cookies.set("tre_lang", "ja")
    ja = submit(lena, bad)
    assert "入力してください。" in ja.text and "20 文字以上で書いてください。" in ja.text


def test_an_unknown_team_member_is_refused_next_to_the_team_field(world: Settings) -> None:
    lena = client(world, "lena")
    before = counts(world)
    r = submit(lena, application_form(team="ana nobody"))
    assert r.status_code == 400
    assert 'id="f-team-error"' in r.text and "nobody" in r.text
    assert counts(world) == before


def test_drafts_are_kept_as_typed_and_private(world: Settings) -> None:
    lena = client(world, "lena")
    r = submit(lena, {"title": "Half an idea", "lay_summary": "x", "action": "save"})
    assert r.status_code == 303
    draft_url = r.headers["location"].split("?")[0]
    page = lena.get(draft_url).text
    assert 'value="Half an idea"' in page and "Draft saved" not in page
    assert "Half an idea" in lena.get("/applications").text
    assert client(world, "ana").get(draft_url).status_code == 404  # not hers: not there
    # Submitting the completed draft makes the project and removes the draft.
    draft_id = draft_url.rsplit("/", 1)[1]
    r = submit(lena, application_form(draft=draft_id))
    assert r.status_code == 303
    assert lena.get(draft_url).status_code == 404
