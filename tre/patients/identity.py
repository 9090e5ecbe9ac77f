"""The contract of proving who a patient is, for the patients' page.

An `IdentityProvider` takes what the person presented (a form's fields) and the client's
address, and returns the verified person as a `VerifiedPerson`: the source that knows them and
their lake pseudonym (`tre.lake.optout.lake_person_id`), never an identifier in clear. It must:

1. reveal nothing when it refuses: the same refusal for an unknown, expired, used or mistyped
   credential, so a caller cannot learn whether a person exists or is in the lake;
2. limit and audit attempts (`RateLimited` when a client or everyone tried too often);
3. be safe to call from many threads at once.

`tre.patients.codes.OneTimeCodes` implements it with a code a data holder issued. A provider
for the My Number card (マイナンバーカード) would check the card's user-certificate signature
(JPKI 利用者証明用電子証明書) through a certified platform, map the certificate to the
person's identifier at a data holder (e.g. an insurer's 被保険者番号 for the source that
links on it), and return the same `VerifiedPerson`; the pages and the service do not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tre.config import Settings
from tre.errors import UserError


@dataclass(frozen=True)
class VerifiedPerson:
    source: str  # the source that knows the person
    person_id: str  # their lake pseudonym
    proof_id: str  # what proved it (a code's id), for the audit log


class IdentityRefused(UserError):
    """The credential proved nothing; the message is the same whatever the reason."""

    exit_code = 3


class RateLimited(UserError):
    """Too many failed attempts: try again after `retry_at`."""

    exit_code = 3

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class IdentityProvider(Protocol):
    def verify(
        self, settings: Settings, credentials: Mapping[str, str], client: str
    ) -> VerifiedPerson:
        """The verified person, or IdentityRefused / RateLimited."""
        ...
