"""The review body on the portal: questions back to the applicant, answers, approval with the
permit's terms, rejection with reasons; the register publishes each decision at once."""

from __future__ import annotations

from dab_world import application_form, client, csrf
from test_apply_pages import counts, submit

from tre import projects
from tre.config import Settings


def post(c, path, data):  # type: ignore[no-untyped-def]
    page = c.get("/applications/new").text  # a form token is bound to its person
    return c.post(path, data={**data, "csrf": csrf(page)}, follow_redirects=False)


def test_ask_answer_approve_with_terms_and_publish(world: Settings) -> None:
    lena, appy = client(world, "lena"), client(world, "appy")
    submit(lena, application_form())
    assert "p-1" in appy.get("/review").text
    reader = client(world)
    assert "p-1" not in reader.get("/register").text  # undecided: not published

    # An empty question is refused next to its field; nothing changes.
    r = post(appy, "/applications/p-1/ask", {"question": "  "})
    assert r.status_code == 400 and 'id="f-question-error"' in r.text
    r = post(appy, "/applications/p-1/ask", {"question": "Why do you need the region?"})
    assert r.status_code == 303
    page = lena.get("/applications/p-1").text
    assert "Why do you need the region?" in page and 'id="send-answer"' in page

    # The answer with a broken field comes back with what was typed; still returned.
    form = application_form(expected_outputs="short", answer="Region explains care differences.")
    r = post(lena, "/applications/p-1/resubmit", form)
    assert r.status_code == 400 and 'id="f-expected_outputs-error"' in r.text
    assert "Region explains care differences." in r.text
    assert projects.show(world, "ada", "p-1")["status"] == "returned"
    form["expected_outputs"] = "Aggregate tables by region, counts of ten or more."
    assert post(lena, "/applications/p-1/resubmit", form).status_code == 303
    assert projects.show(world, "ada", "p-1")["status"] == "submitted"

    # Approve: a date that is not one, then a grant beyond the application, are refused.
    terms = {
        "grant": ["demo.patient::person_id", "demo.patient::gender", "demo.condition::code"],
        "valid_from": "2026-02-30",
        "valid_to": "2099-01-01",
        "tier": "standard",
        "reasons": "Proportionate; small cells suppressed.",
    }
    before = counts(world)
    r = post(appy, "/applications/p-1/approve", terms)
    assert r.status_code == 400 and 'id="f-valid_from-error"' in r.text
    r = post(
        appy,
        "/applications/p-1/approve",
        {
            **terms,
            "valid_from": "2026-01-01",
            "grant": terms["grant"] + ["demo.claim::total_value"],
        },
    )
    assert r.status_code == 400 and "may grant only what was applied for" in r.text
    r = post(
        appy,
        "/applications/p-1/approve",
        {**terms, "valid_from": "2026-01-01", "cohort_filter": "1; DROP TABLE x"},
    )
    assert r.status_code == 400 and 'id="f-cohort_filter-error"' in r.text
    assert counts(world) == before  # nothing decided, nothing audited
    r = post(appy, "/applications/p-1/approve", {**terms, "valid_from": "2026-01-01"})
    assert r.status_code == 303
    permit = projects.show(world, "ada", "p-1")["permit"]
    assert permit["grant"] == {"demo.patient": ["person_id", "gender"], "demo.condition": ["code"]}

    # Published at once (a commit in the portal's own process), no reviewer named.
    register = reader.get("/register").text
    assert 'id="project-p-1"' in register and "Proportionate; small cells suppressed." in register
    assert "appy" not in register


def test_conflicted_reviewer_sees_why_and_cannot_decide(world: Settings) -> None:
    from tre import users

    users.add_user(world, "ada", "ana", ["analyst", "approver"])
    submit(client(world, "lena"), application_form())  # ana is in the team
    ana = client(world, "ana")
    page = ana.get("/applications/p-1").text
    assert 'id="why-review"' in page and 'id="approve"' not in page
    r = ana.post(
        "/applications/p-1/approve",
        data={
            "csrf": csrf(ana.get("/applications/new").text),
            "grant": ["demo.patient::gender"],
            "valid_from": "2026-01-01",
            "valid_to": "2027-01-01",
        },
        follow_redirects=False,
    )
    assert r.status_code == 400 and "applicant or member" in r.text
    assert projects.show(world, "ada", "p-1")["status"] == "submitted"


def test_reject_needs_reasons_and_is_published(world: Settings) -> None:
    lena, appy = client(world, "lena"), client(world, "appy")
    submit(lena, application_form())
    r = post(appy, "/applications/p-1/reject", {"reject_reasons": ""})
    assert r.status_code == 400 and 'id="f-reject_reasons-error"' in r.text
    assert (
        post(
            appy, "/applications/p-1/reject", {"reject_reasons": "No ethics approval."}
        ).status_code
        == 303
    )
    register = client(world).get("/register").text
    assert "No ethics approval." in register and 'id="project-p-1"' in register
