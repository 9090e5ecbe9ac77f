"""One typed settings object, from `tre.toml` and `TRE_*` environment variables.

Precedence (highest first): environment (`TRE_<FIELD>`), `$TRE_HOME/tre.toml`, defaults.
Who the command line may act as (`cli_accounts`) is read from tre.toml only: the environment
is the caller's to set. Paths that are not set explicitly derive from `home`. Every setting is
documented in docs/settings.md (a test keeps the two in step).
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tre.errors import ConfigError
from tre.i18n import _

CONFIG_FILE_NAME = "tre.toml"
# Settings the environment may not set: whoever runs a command chooses its environment.
FILE_ONLY = ("cli_accounts",)
_CLI_ACCOUNT = re.compile(r"^[^:\s]+:[a-z0-9][a-z0-9._-]{0,63}$")


class _TomlSource(PydanticBaseSettingsSource):
    """Reads `$TRE_HOME/tre.toml` (or the file named by TRE_CONFIG)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # pragma: no cover - __call__ is used instead

    def __call__(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            with self.path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{self.path} is not valid TOML ({exc}).", hint="Fix the file or remove it."
            ) from exc
        # Accept both flat keys and a [tre] table.
        return dict(data.get("tre", data))


class _EnvironmentSource(PydanticBaseSettingsSource):
    """The `TRE_*` environment, refusing the settings that only tre.toml may hold."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # pragma: no cover - __call__ is used instead

    def __call__(self) -> dict[str, Any]:
        data = dict(self.inner())
        for name in FILE_ONLY:
            if name in data:
                raise ConfigError(
                    _("{variable} is refused: {name} is read from tre.toml only.").format(
                        variable=f"TRE_{name.upper()}", name=name
                    ),
                    hint=_("Unset it; an administrator sets it in tre.toml (docs/settings.md)."),
                )
        return data


class SourceSettings(BaseModel):
    """Ingestion settings of one data source (`[sources.<name>]` in tre.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    linkage_system: str | None = Field(
        default=None,
        description="Identifier system whose value links this source's persons to other sources.",
    )
    tier: Literal["standard", "high"] = Field(
        default="standard", description="Sensitivity tier of this source's tables."
    )
    tiers: dict[str, Literal["standard", "high"]] = Field(
        default_factory=dict, description="Sensitivity tier per table, overriding `tier`."
    )


class Settings(BaseSettings):
    """All TRE settings. Field names map to `TRE_<NAME>` environment variables."""

    model_config = SettingsConfigDict(env_prefix="TRE_", extra="forbid", frozen=True)

    home: Path = Field(default=Path(".tre"), description="Where the TRE keeps all its state.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the control database; default SQLite in home.",
    )
    lake_dir: Path | None = Field(default=None, description="Lake root; default home/lake.")
    extracts_dir: Path | None = Field(
        default=None, description="Project extracts root; default home/extracts."
    )
    airlock_dir: Path | None = Field(
        default=None, description="Airlock store and release area; default home/airlock."
    )
    workspaces_dir: Path | None = Field(
        default=None, description="Per-project outputs and per-user homes; default home/workspaces."
    )
    policy_engine: Literal["embedded", "opa"] = Field(
        default="embedded", description="`embedded` (in-process Rego) or `opa` (OPA server)."
    )
    opa_url: str = Field(
        default="http://127.0.0.1:8181", description="OPA server URL when policy_engine = opa."
    )
    policies_dir: Path | None = Field(
        default=None, description="Rego policies; default the repository's policies/ directory."
    )
    locale: Literal["en", "ja"] = Field(default="en", description="Language of messages.")
    time_zone: str = Field(
        default="Asia/Tokyo",
        description="IANA time zone in which the portal and notices show dates and times "
        "(stored in UTC).",
    )
    hub_ip: str = Field(default="127.0.0.1", description="Address the hub listens on.")
    hub_port: int = Field(default=8000, description="Port the hub listens on.")
    portal_port: int = Field(default=8010, description="Port of the portal service.")
    proxy_command: str = Field(
        default="",
        description="Path of the hub's HTTP proxy program (Node configurable-http-proxy); "
        "default: the one `make install` puts in deploy/local/proxy.",
    )
    portal_test_login_insecure: bool = Field(
        default=False,
        description="TESTS ONLY: let the portal sign anyone in by name, without the hub. "
        "Never enable in a real deployment.",
    )
    workspace_image: str = Field(
        default="tre-workspace:latest", description="Docker image for project workspaces."
    )
    idle_timeout_seconds: int = Field(
        default=3600, description="Idle workspaces are stopped after this many seconds."
    )
    workspace_mem_limit: str = Field(default="4G", description="Memory limit per workspace.")
    workspace_cpu_limit: float = Field(default=1.0, description="CPU limit per workspace.")
    workspace_pids_limit: int = Field(default=512, description="Process limit per workspace.")
    workspace_text_max_bytes: int = Field(
        default=256 * 1024,
        gt=0,
        description="Largest code or text file (.py .sql .r .md .txt .json) a workspace "
        "opens in, or takes from, the browser.",
    )
    workspace_notebook_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        gt=0,
        description="Largest notebook a workspace opens in, or takes from, the browser.",
    )
    workspace_output_max_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest single kernel message (an output: a plot, a table) sent to the "
        "browser.",
    )
    workspace_output_rate_bytes: int = Field(
        default=32 * 1024,
        gt=0,
        description="Kernel output sent to the browser per second, once the burst is spent.",
    )
    workspace_output_burst_bytes: int = Field(
        default=4 * 1024 * 1024,
        gt=0,
        description="Kernel output a workspace may send to the browser at once.",
    )
    workspace_transfer_rate_bytes: int = Field(
        default=64 * 1024,
        gt=0,
        description="Other traffic between a workspace and the browser (file contents, "
        "settings, uploads) per second each way, once the burst is spent; JupyterLab's own "
        "files are not counted.",
    )
    workspace_transfer_burst_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="Other traffic a workspace may exchange with the browser at once.",
    )
    sources: dict[str, SourceSettings] = Field(
        default={},
        description="Per-source ingestion settings: linkage identifier system, tiers.",
    )
    lake_batch_bytes: int = Field(
        default=16 * 1024 * 1024,
        description="Input bytes parsed per ingest batch; bounds the ingest's memory.",
    )
    lake_chunk_bytes: int = Field(
        # DuckDB splits a scan into row groups of 122,880 rows: smaller pieces (64 MB is
        # under one row group of Observations) leave the second core idle while tables are
        # built from a piece. 256 MB: ingest 1.4x faster than 64 MB, 200 MB more at peak.
        default=256 * 1024 * 1024,
        description="Bytes of a bulk NDJSON file parsed at once on the fast path; bounds memory.",
    )
    lake_memory_limit: str = Field(
        default="1GB",
        pattern=r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|KiB|MiB|GiB)$",
        description="DuckDB memory limit of an ingest (e.g. 512MB); beyond it DuckDB spills "
        "to the staging folder.",
    )
    deployment_name: str = Field(
        default="Trusted Research Environment",
        min_length=1,
        description="The name of this TRE in the records it releases (the publisher of each "
        "release's Five Safes RO-Crate).",
    )
    audit_origin: str = Field(
        default="localhost/tre-audit",
        pattern=r"^[^\s+\x00-\x1f]+$",
        description="Name of this TRE's audit log in its signed checkpoints and signing key: a "
        "schema-less URL such as tre.example.org/audit. Set it before `tre init`; a change "
        "takes effect with the next key rotation.",
    )
    audit_checkpoints_file: Path | None = Field(
        default=None,
        description="The append-only file of signed audit checkpoints; default "
        "home/audit-checkpoints.jsonl.",
    )
    audit_checkpoint_interval_seconds: int = Field(
        default=0,
        ge=0,
        description="0: sign a checkpoint after every committed change. N: after a change only "
        "when the newest checkpoint is N seconds old; the hub's operator service signs what is "
        "left on its next round.",
    )
    separation_of_duties: bool = Field(
        default=True,
        description="An approver of a project's application may not check its outputs.",
    )
    cli_accounts: list[str] = Field(
        default=[],
        description="Who the command line acts as: `os_account:tre_account` pairs, e.g. "
        '`["root:admin"]`. The operating-system account is the one running `tre` (its '
        "effective uid); TRE_USER may pick one of the TRE accounts mapped to it, nothing else. "
        "Read from tre.toml only, never from the environment. Without a mapping, a command "
        "acts only with a hub API token in TRE_HUB_TOKEN.",
    )
    permit_warning_days: list[int] = Field(
        default=[30, 7],
        description="Days before a permit's last day when its members are warned (a notice, "
        "and an e-mail when SMTP is set).",
    )
    portal_url: str = Field(
        default="",
        description="The portal's address as people reach it (e.g. "
        "https://tre.example.org/services/portal), for links in e-mails; none when empty.",
    )
    smtp_host: str = Field(
        default="", description="SMTP server for notices by e-mail; empty sends no e-mail."
    )
    smtp_port: int = Field(default=587, description="Port of the SMTP server.")
    smtp_starttls: bool = Field(
        default=True, description="Use STARTTLS with the SMTP server (off only on a trusted host)."
    )
    smtp_username: str = Field(default="", description="SMTP user name, if it needs one.")
    smtp_password_file: Path | None = Field(
        default=None, description="File holding the SMTP password (kept out of tre.toml)."
    )
    smtp_sender: str = Field(
        default="tre@localhost", description="The From address of notice e-mails."
    )
    patient_code_days: int = Field(
        default=30, ge=1, le=365, description="Days a patient's one-time code stays valid."
    )
    patient_session_minutes: int = Field(
        default=15, ge=1, le=240, description="Minutes a patient stays signed in after a code."
    )
    patient_attempts_per_client: int = Field(
        default=5,
        ge=1,
        description="Failed code attempts one client may make per window before it must wait.",
    )
    patient_attempts_total: int = Field(
        default=200,
        ge=1,
        description="Failed code attempts from all clients together per window before every "
        "attempt must wait (bounds guessing from many addresses).",
    )
    patient_attempt_window_minutes: int = Field(
        default=15, ge=1, description="The window over which failed code attempts are counted."
    )

    @field_validator("hub_port", "portal_port", "smtp_port")
    @classmethod
    def _port_in_range(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("must be a TCP port between 1 and 65535")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone (e.g. Asia/Tokyo, Europe/London, UTC)"
            ) from None
        return value

    @field_validator("cli_accounts")
    @classmethod
    def _account_pairs(cls, value: list[str]) -> list[str]:
        for pair in value:
            if not _CLI_ACCOUNT.match(pair):
                raise ValueError(
                    f"{pair!r} is not os_account:tre_account (e.g. root:admin; a TRE account "
                    "is 1-64 lower-case letters, digits, dots, dashes or underscores)"
                )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home = Path(os.environ.get("TRE_HOME", ".tre"))
        config_path = Path(os.environ.get("TRE_CONFIG", home / CONFIG_FILE_NAME))
        environment = _EnvironmentSource(settings_cls, env_settings)
        return (init_settings, environment, _TomlSource(settings_cls, config_path))

    # Derived paths -------------------------------------------------------------------
    @cached_property
    def home_path(self) -> Path:
        return self.home.expanduser().absolute()

    @cached_property
    def lake_path(self) -> Path:
        return (self.lake_dir or self.home_path / "lake").absolute()

    @cached_property
    def extracts_path(self) -> Path:
        return (self.extracts_dir or self.home_path / "extracts").absolute()

    @cached_property
    def airlock_path(self) -> Path:
        return (self.airlock_dir or self.home_path / "airlock").absolute()

    @cached_property
    def workspaces_path(self) -> Path:
        return (self.workspaces_dir or self.home_path / "workspaces").absolute()

    @cached_property
    def policies_path(self) -> Path:
        return (self.policies_dir or Path(__file__).resolve().parent.parent / "policies").absolute()

    @cached_property
    def keys_path(self) -> Path:
        return self.home_path / "keys"

    @cached_property
    def lake_key_path(self) -> Path:
        return self.keys_path / "lake.key"

    @cached_property
    def audit_key_path(self) -> Path:
        return self.keys_path / "audit-signing.key"

    @cached_property
    def audit_next_key_path(self) -> Path:
        """The incoming key of a key rotation, until the handover has committed."""
        return self.keys_path / "audit-signing.next.key"

    @cached_property
    def audit_checkpoints_path(self) -> Path:
        default = self.home_path / "audit-checkpoints.jsonl"
        return (self.audit_checkpoints_file or default).absolute()

    @cached_property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home_path / 'tre.db'}"

    def read_lake_key(self) -> bytes:
        """The lake pseudonymisation key. Never log or print it."""
        try:
            key = self.lake_key_path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(
                f"No lake key at {self.lake_key_path}.", hint="Run `tre init` first."
            ) from None
        if len(key) != 32:
            raise ConfigError(
                f"The lake key at {self.lake_key_path} is not 32 bytes.",
                hint="Restore it from backup; a new key would break linkage with existing data.",
            )
        return key


def load_settings(**overrides: Any) -> Settings:
    """Load and validate settings; raise ConfigError with a hint on any bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"Invalid TRE settings: {problems}.",
            hint="Check TRE_* environment variables and tre.toml (see docs/settings.md).",
        ) from None
