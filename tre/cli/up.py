"""`tre up`: run hub + portal + policy on 127.0.0.1:8000."""

from __future__ import annotations

from typing import Annotated

import typer

from tre.errors import UserError


def up(
    demo: Annotated[
        bool, typer.Option("--demo", help="Load synthetic data, users, a project.")
    ] = False,
) -> None:
    """Run the TRE (hub, portal, policy) on 127.0.0.1:8000."""
    raise UserError("`tre up` is not available yet.")
