"""The names of a request's files: one normal form, no look-alikes, within the file system.

A file's name is what reviewers read, what the register publishes and what members save,
so it must say one thing:
- Normal form: a name is taken in Unicode NFKC, so a ligature (ﬁ), full-width letters
  (ｆｉｌｅ), circled digits (①) or a decomposed accent become their plain form. The request
  knows the file by that name; the file is still read under the name it has in outputs/.
- Look-alikes: two names of one request are confusable when their Unicode TR39 skeletons
  are equal (Cyrillic о for Latin o, "rn" for "m", "0" for "O"), with or without case. The
  skeletons come from ICU, the reference implementation of TR39.
- Length: every part of a path fits the file systems it is written to, in bytes, and a
  file's name leaves room for its provenance sidecar (`<name>.tre.json`).
Control characters (zero-width, bidirectional) are refused before any of this, with the
rest of the path's checks (`tre.airlock.intake.check_relative_path`).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

DEFAULT_NAME_MAX = 255


def normal_form(name: str) -> str:
    """The name as the request knows it (NFKC)."""
    return unicodedata.normalize("NFKC", name)


@cache
def _spoof_checker() -> Any:
    import icu

    return icu.SpoofChecker()


def skeleton(text: str) -> str:
    """The TR39 confusable skeleton of `text` (equal skeletons: the texts look alike)."""
    return str(_spoof_checker().getSkeleton(0, text))


def _keys(name: str) -> tuple[str, str]:
    return skeleton(name), skeleton(name.casefold())


def confusable_with(name: str, others: Iterable[str]) -> str | None:
    """The first of `others` (other than `name` itself) that looks like `name`, if any."""
    mine = _keys(name)
    for other in others:
        if other == name:
            continue
        theirs = _keys(other)
        if mine[0] == theirs[0] or mine[1] == theirs[1]:
            return other
    return None


def name_max(directory: Path) -> int:
    """The longest name, in bytes, the file system holding `directory` accepts."""
    path = directory
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return int(os.pathconf(path, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return DEFAULT_NAME_MAX


def too_long(path: PurePosixPath, limit: int, reserve: int) -> str | None:
    """The first part of `path` over `limit` bytes (its last part with `reserve` bytes more
    for a suffix), or None when every part fits."""
    for i, part in enumerate(path.parts):
        extra = reserve if i == len(path.parts) - 1 else 0
        if len(part.encode("utf-8")) + extra > limit:
            return part
    return None
