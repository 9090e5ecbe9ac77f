"""Notices by e-mail, when `smtp_host` is set: each notice once, in Japanese and English.

`send_pending(settings)` collects new notices, then sends each unsent notice of the last day
to its person's address (`tre user add --email`, or the portal's accounts page) through the
SMTP server, and marks it sent. A notice is marked only after the server accepted it, so a
failure is retried at the next round (the operator's loop runs this every round); a crash
between the two may send one twice. Mails carry ids, states and dates, never a record value.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from tre.config import Settings
from tre.db import User, session_scope
from tre.i18n import gettext_for
from tre.notices.collect import message, refresh
from tre.notices.models import Notice

log = logging.getLogger("tre.notices.mail")
MAX_AGE = timedelta(days=1)  # older unsent notices stay in the portal only


def compose(settings: Settings, to: str, kind: str, params: dict[str, object]) -> EmailMessage:
    """The e-mail of one notice: Japanese first, then English, then the portal's address."""
    mail = EmailMessage()
    mail["From"] = settings.smtp_sender
    mail["To"] = to
    subject = gettext_for("en", "TRE notice about {project}").format(project=params["project"])
    subject_ja = gettext_for("ja", "TRE notice about {project}").format(project=params["project"])
    mail["Subject"] = f"{subject_ja} / {subject}"
    lines = [message(kind, params, "ja"), "", message(kind, params, "en")]
    if settings.portal_url:
        lines += ["", f"{settings.portal_url.rstrip('/')}/notices"]
    mail.set_content("\n".join(lines) + "\n")
    return mail


def _password(settings: Settings) -> str:
    path = settings.smtp_password_file
    return path.read_text(encoding="utf-8").strip() if path else ""


def send_pending(settings: Settings) -> int:
    """Send the notices not yet sent; return how many were sent (0 without `smtp_host`)."""
    if not settings.smtp_host:
        return 0
    refresh(settings)
    since = datetime.now(UTC) - MAX_AGE
    with session_scope(settings) as session:
        rows = session.execute(
            select(Notice.id, Notice.kind, Notice.params, User.email)
            .join(User, User.username == Notice.username)
            .where(Notice.mailed_at.is_(None), Notice.at >= since, User.email != "")
            .order_by(Notice.id)
        ).all()
    if not rows:
        return 0
    sent = 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as server:
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            server.login(settings.smtp_username, _password(settings))
        for notice_id, kind, params, email in rows:
            try:
                server.send_message(compose(settings, email, kind, dict(params)))
            except smtplib.SMTPRecipientsRefused:
                log.warning("the SMTP server refused the address of notice %s", notice_id)
                continue
            with session_scope(settings) as session:
                notice = session.get(Notice, notice_id)
                if notice is not None:
                    notice.mailed_at = datetime.now(UTC)
            sent += 1
    return sent
