"""`EmbeddedRego`: Rego evaluated in-process by regorus (memory-safe Rust).

Policy sources and data are read from disk once. A regorus engine is bound to the thread
that created it (its Python class is "unsendable": touching it from another thread, even
to clone it, panics) and holds per-evaluation state such as the input, so each thread
parses its own engine from the sources on first use (about 3 ms) and keeps it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regorus

from tre.i18n import _
from tre.policy.base import DECISION_RULE, PolicyEngine, PolicyUnavailable


def policy_files(policies_dir: Path, include_tests: bool = False) -> list[Path]:
    """Every `.rego` file under `policies_dir`, sorted; `*_test.rego` only if asked."""
    files = sorted(policies_dir.rglob("*.rego"))
    if include_tests:
        return files
    return [f for f in files if not f.name.endswith("_test.rego")]


def read_sources(policies_dir: Path, include_tests: bool = False) -> PolicySources:
    """Every policy's text and the data document under `policies_dir`."""
    files = policy_files(policies_dir, include_tests)
    if not files:
        raise PolicyUnavailable(
            _("No Rego policies found in {path}.").format(path=policies_dir),
            hint=_("Set policies_dir to the repository's policies/ directory."),
        )
    data_file = policies_dir / "data.json"
    data = json.loads(data_file.read_text("utf-8")) if data_file.exists() else {}
    modules = tuple((str(p.relative_to(policies_dir)), p.read_text("utf-8")) for p in files)
    return PolicySources(modules, data)


@dataclass(frozen=True)
class PolicySources:
    modules: tuple[tuple[str, str], ...]
    data: dict[str, Any]

    def build(self) -> regorus.Engine:
        """A new engine (bound to the calling thread) with every module and the data."""
        engine = regorus.Engine()
        for name, text in self.modules:
            try:
                engine.add_policy(name, text)
            except RuntimeError as exc:
                raise PolicyUnavailable(
                    _("The policy {path} does not parse: {error}").format(path=name, error=exc)
                ) from None
        engine.add_data(self.data)
        return engine


def load_engine(policies_dir: Path, include_tests: bool = False) -> regorus.Engine:
    """A regorus engine with every policy and `data.json` under `policies_dir` loaded."""
    return read_sources(policies_dir, include_tests).build()


class EmbeddedRego(PolicyEngine):
    """In-process Rego: sources read once, one parsed engine per thread."""

    def __init__(self, policies_dir: Path) -> None:
        self.policies_dir = policies_dir
        self._sources = read_sources(policies_dir)
        self._local = threading.local()
        self._engine()  # parse now, so broken policies fail at start, not at first use

    def _engine(self) -> regorus.Engine:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._sources.build()
            self._local.engine = engine
        return engine

    def _evaluate(self, package: str, input: dict[str, Any]) -> Any:
        engine = self._engine()
        try:
            engine.set_input(input)
            return engine.eval_rule(f"data.{package}.{DECISION_RULE}")
        except (RuntimeError, ValueError, TypeError) as exc:
            raise PolicyUnavailable(
                _("The policy could not be evaluated: {error}").format(error=exc)
            ) from None
