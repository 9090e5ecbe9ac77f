"""Notices: the applicant and members see in the portal when the permit is granted, the data is
ready, a release request moves, the permit is about to end; with SMTP set, the same notices
arrive by e-mail (a real SMTP server on loopback), each once, in Japanese and English."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from dab_world import application_form, client
from test_apply_pages import submit

from tre import projects, users
from tre.config import Settings, load_settings
from tre.extract import service
from tre.notices import collect
from tre.notices.mail import send_pending
from tre.permits import warn_expiring


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), mail))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("TRE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRE_SMTP_PORT", str(port))
    monkeypatch.setenv("TRE_SMTP_STARTTLS", "false")
    monkeypatch.setenv("TRE_PORTAL_URL", "http://127.0.0.1:8000/services/portal")
    try:
        yield inbox
    finally:
        controller.stop()


def test_notices_in_the_portal(world: Settings) -> None:
    submit(client(world, "lena"), application_form())
    projects.ask(world, "appy", "p-1", "Which committee approved this?")
    lena = client(world, "lena")
    page = lena.get("/notices").text
    assert "asked questions about application p-1" in page
    assert "1 new" in lena.get("/").text
    ana = client(world, "ana")  # a team member sees it too; the approver, who acted, does not
    assert "p-1" in ana.get("/notices").text
    assert collect.for_user(world, "appy") == []


def test_the_same_notices_by_email_once(world: Settings, smtp: Inbox) -> None:
    users.add_user(world, "ada", "lena", ["analyst"], email="lena@example.org")
    submit(client(world, "lena"), application_form())
    projects.approve(world, "appy", "p-1", reason="Sound.")
    service.provision(world, "p-1", "ada")
    settings = load_settings()
    assert send_pending(settings) == 2  # granted, ready; ana has no address
    assert send_pending(settings) == 0  # each once
    recipients = {tuple(to) for to, _m in smtp.messages}
    assert recipients == {("lena@example.org",)}
    bodies = [m.get_content() for _to, m in smtp.messages]
    subjects = [str(m["Subject"]) for _to, m in smtp.messages]
    assert all("TRE notice about p-1" in s for s in subjects)
    assert any("The permit for p-1 was granted" in b for b in bodies)
    assert any("p-1" in b and "/services/portal/notices" in b for b in bodies)
    assert all("lena" not in b for b in bodies)  # ids and dates, no person


def test_a_warning_before_the_permit_ends(world: Settings) -> None:
    submit(client(world, "lena"), application_form())
    projects.approve(world, "appy", "p-1", reason="Sound.")
    end = projects.show(world, "ada", "p-1")["permit"]["valid_to"]
    assert warn_expiring(world, end - timedelta(days=40)) == []
    assert warn_expiring(world, end - timedelta(days=20)) == [("p-1", 30)]
    assert warn_expiring(world, end - timedelta(days=19)) == []  # once per threshold
    assert warn_expiring(world, end - timedelta(days=3)) == [("p-1", 7)]
    assert "ends on" in client(world, "lena").get("/notices").text
