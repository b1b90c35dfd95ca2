"""The one place configuration is resolved: defaults <- velo.toml <- VELO_* environment variables.

``VELO_DATA_DIR`` (default ``./data``) roots every embedded default, so one variable isolates a
whole environment. Every other key can be set in ``velo.toml`` (flat ``key = value`` pairs, the
key names below) or as ``VELO_<KEY>`` in the environment.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import Field, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from velo.clock import FIXED, WALL
from velo.errors import UsageError
from velo.secrets import MASK, remember, scrub, secret_parts_of_url

ENV_PREFIX = "VELO_"
CONFIG_FILE_ENV = "VELO_CONFIG"
DEFAULT_CONFIG_FILE = "velo.toml"

# The simulated outside world answers here by default; commands that need it start it
# in-process on a free port when the configured URL is still this default.
SIMULATED_FX_API_URL = "http://sim.local/fx"
SIMULATED_NEWS_API_URL = "http://sim.local/news"
SIMULATED_API_KEY = "velo-sim-key"
# Velo Cycles' ticker in the news feed's ticker_sentiment (its relevance weights our scores).
COMPANY_TICKER = "VELO"
SENTIMENT_SCORERS = ("finance", "vader")

SECRET_KEYS = frozenset({"fx_api_key", "news_api_key", "slack_webhook_url"})
WAREHOUSE_KINDS = ("duckdb", "postgres", "snowflake")
HTTP_URL_KEYS = frozenset(
    {"fx_api_url", "news_api_url", "slack_webhook_url", "dagster_url", "dashboard_url"}
)

COUNT_KEYS = frozenset({"seed", "archive_after_days", "expire_after_days", "duckdb_threads"})
# A DuckDB memory size as its `memory_limit` setting accepts it, e.g. 2GB, 512MiB, 1.5 GB.
MEMORY_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|[KMGT]i?B)$", re.IGNORECASE)
LIST_KEYS = frozenset({"source_tables_add", "source_tables_drop"})
RESOLVED = "resolved"  # field metadata: decided by the entry points, not configurable


class ConfigError(UsageError):
    """A configuration problem, reported as one line to the user (exit code 2)."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    ops_db_url: str
    landing_url: str
    warehouse: str
    warehouse_path: Path
    warehouse_url: str
    serving_path: Path
    state_dir: Path
    fx_api_url: str
    fx_api_key: str
    news_api_url: str
    news_api_key: str
    news_ticker: str
    sentiment_scorer: str
    slack_webhook_url: str
    dagster_url: str
    dashboard_url: str
    clock: datetime | None
    seed: int
    archive_after_days: int
    expire_after_days: int
    duckdb_memory_limit: str
    duckdb_threads: int
    # changes to the operations source contract (velo.ingest.contract): entries, comma-separated
    source_tables_add: tuple[str, ...]
    source_tables_drop: tuple[str, ...]
    # Not a setting: which clock ``clock`` holds (velo.clock: FIXED | SIMULATED | WALL). Loading
    # marks a configured clock FIXED; the entry points (velo.runtime) set the resolved one.
    clock_kind: str = field(default=WALL, metadata={RESOLVED: True})

    @property
    def uses_simulated_apis(self) -> bool:
        return (
            self.fx_api_url == SIMULATED_FX_API_URL or self.news_api_url == SIMULATED_NEWS_API_URL
        )

    def with_overrides(self, **changes: Any) -> Settings:
        if "clock" in changes and "clock_kind" not in changes:  # a clock set in code is fixed
            changes["clock_kind"] = WALL if changes["clock"] is None else FIXED
        return replace(self, **changes)

    def masked(self) -> dict[str, str]:
        """Every setting as text, secrets masked, for display and logs."""
        shown: dict[str, str] = {}
        for f in configurable_fields():
            value = getattr(self, f.name)
            text = "" if value is None else str(value)
            if isinstance(value, tuple):
                text = ", ".join(value)
            if f.name in SECRET_KEYS or f.name.endswith("_url"):
                text = mask_secret(f.name, text)
            shown[f.name] = text
        return shown


def served_api_url(settings: Settings, key: str) -> str:
    """The API URL to call, or one clear error when it is still a simulated default: only the
    entry points (the velo commands, the Dagster resources) start those APIs."""
    url = str(getattr(settings, key))
    if url in (SIMULATED_FX_API_URL, SIMULATED_NEWS_API_URL):
        raise UsageError(
            f"{key} is the simulated default {url}, served only while a velo command runs: run "
            f"this through `velo` (e.g. `velo ingest`), or start `velo sim serve` and set {key}"
        )
    return url


def configurable_fields() -> list[Field[Any]]:
    return [f for f in fields(Settings) if not f.metadata.get(RESOLVED)]


def mask_secret(name: str, value: str) -> str:
    """Hide secrets: keys entirely, webhooks' path, URLs' passwords and key-like parameters."""
    if not value:
        return value
    if name.endswith("_key"):
        return MASK
    parts = urlsplit(value)
    if name == "slack_webhook_url" and parts.scheme:
        return urlunsplit((parts.scheme, parts.netloc, "/" + MASK, "", ""))
    return scrub(value)


def remember_secrets(settings: Settings) -> None:
    """Tell the scrubbing point which values of these settings are secrets."""
    remember([settings.fx_api_key, settings.news_api_key])
    remember(secret_parts_of_url(settings.slack_webhook_url, whole=True))
    for url in (
        settings.ops_db_url,
        settings.warehouse_url,
        settings.fx_api_url,
        settings.news_api_url,
        settings.landing_url,
    ):
        remember(secret_parts_of_url(url))


def _defaults(data_dir: Path) -> dict[str, Any]:
    return {
        "ops_db_url": f"sqlite:///{data_dir / 'ops.db'}",
        "landing_url": str(data_dir / "landing"),
        "warehouse": "duckdb",
        "warehouse_path": str(data_dir / "warehouse.duckdb"),
        "warehouse_url": "",
        "serving_path": str(data_dir / "serving.duckdb"),
        "state_dir": str(data_dir / "state"),
        "fx_api_url": SIMULATED_FX_API_URL,
        "fx_api_key": SIMULATED_API_KEY,
        "news_api_url": SIMULATED_NEWS_API_URL,
        "news_api_key": SIMULATED_API_KEY,
        "news_ticker": COMPANY_TICKER,
        "sentiment_scorer": "finance",
        "slack_webhook_url": "",
        # where `velo dagster` and `velo dashboard` listen by default; each UI links to the other
        "dagster_url": "http://127.0.0.1:3000",
        "dashboard_url": "http://127.0.0.1:8501",
        "clock": None,
        "seed": 42,
        "archive_after_days": 30,
        "expire_after_days": 365,
        # Every DuckDB connection the platform opens gets these (velo.duckdb_config): DuckDB's
        # own default, 80 % of RAM per process, does not bound a run; beyond the limit DuckDB
        # spills to state_dir.
        "duckdb_memory_limit": "2GB",
        "duckdb_threads": os.cpu_count() or 1,
        "source_tables_add": (),
        "source_tables_drop": (),
    }


def _parse(key: str, raw: Any) -> Any:
    """Turn a raw value (TOML or environment text) into the setting's type, or raise ConfigError."""
    try:
        if key in COUNT_KEYS:
            value = int(raw)
            least = 1 if key == "duckdb_threads" else 0
            if value < least:
                raise ValueError(f"must be at least {least}")
            return value
        if key == "duckdb_memory_limit" and not MEMORY_SIZE.match(str(raw)):
            raise ValueError("must be a size such as 2GB or 512MiB")
        if key == "clock":
            if raw in (None, ""):
                return None
            if isinstance(raw, datetime):
                return raw.replace(tzinfo=None)
            parsed = datetime.fromisoformat(str(raw))
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            return parsed
        if key in LIST_KEYS:
            items = raw.split(",") if isinstance(raw, str) else raw
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                raise ValueError("must be text (entries separated by commas) or a list of text")
            return tuple(item.strip() for item in items if item.strip())
        if key == "warehouse":
            if raw not in WAREHOUSE_KINDS:
                raise ValueError(f"must be one of {', '.join(WAREHOUSE_KINDS)}")
            return raw
        if key == "sentiment_scorer" and raw not in SENTIMENT_SCORERS:
            raise ValueError(f"must be one of {', '.join(SENTIMENT_SCORERS)}")
        if key in HTTP_URL_KEYS and raw and urlsplit(str(raw)).scheme not in ("http", "https"):
            raise ValueError("must be an http(s) URL")
        if not isinstance(raw, str):
            raise ValueError("must be text")
        return raw
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting '{key}' has a malformed value {raw!r}: {exc}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def load_settings(env: dict[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Resolve the settings: defaults <- velo.toml <- VELO_* environment variables."""
    env = dict(os.environ if env is None else env)
    cwd = cwd or Path.cwd()
    config_file = Path(env.get(CONFIG_FILE_ENV, cwd / DEFAULT_CONFIG_FILE))
    if CONFIG_FILE_ENV in env and not config_file.exists():
        raise ConfigError(f"{CONFIG_FILE_ENV} points to {config_file}, which does not exist")
    from_file = _read_toml(config_file) if config_file.exists() else {}

    known = {f.name for f in configurable_fields()}
    for key in from_file:
        if key not in known:
            raise ConfigError(
                f"{config_file}: unknown setting '{key}' (known: {', '.join(sorted(known))})"
            )
    from_env = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_FILE_ENV:
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key not in known:
            choices = "|".join(sorted(known)).upper()
            raise ConfigError(f"unknown environment variable {name} (known: VELO_<{choices}>)")
        from_env[key] = value

    data_dir = Path(from_env.get("data_dir", from_file.get("data_dir", "data")))
    if not data_dir.is_absolute():
        data_dir = (cwd / data_dir).resolve()
    merged = {**_defaults(data_dir), **from_file, **from_env}
    merged.pop("data_dir", None)
    values = {key: _parse(key, raw) for key, raw in merged.items()}
    for key in ("warehouse_path", "serving_path", "state_dir"):
        values[key] = _absolute_path(values[key], cwd)
    values["landing_url"] = _absolute_local_url(values["landing_url"], cwd)
    values["ops_db_url"] = _absolute_sqlite_url(values["ops_db_url"], cwd)
    clock_kind = WALL if values["clock"] is None else FIXED
    settings = Settings(data_dir=data_dir, clock_kind=clock_kind, **values)
    remember_secrets(settings)
    return settings


def _absolute_path(value: str, cwd: Path) -> Path:
    # MotherDuck databases ("md:name") are not files: keep them as given.
    path = Path(value)
    if path.is_absolute() or value.startswith("md:"):
        return path
    return (cwd / path).resolve()


def _absolute_local_url(url: str, cwd: Path) -> str:
    if "://" in url:
        return url
    path = Path(url)
    return str(path if path.is_absolute() else (cwd / path).resolve())


def _absolute_sqlite_url(url: str, cwd: Path) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/"):
        return url
    return prefix + str((cwd / url[len(prefix) :]).resolve())
