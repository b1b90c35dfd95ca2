"""What every orchestration module shares: the settings resource, retry policies, the pool.

Assets get the platform's :class:`~velo.settings.Settings` through the ``velo`` resource, a
:class:`SettingsResource`. Its execution is the run's entry point (:func:`velo.runtime.platform`):
it decides the run's clock once and starts the simulated FX/news APIs when the settings still
point at them (so a run launched from the Dagster UI talks to a live API), and hands assets those
live settings.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Self, get_origin, get_type_hints

import dagster as dg
from pydantic import Field, PrivateAttr

from velo.secrets import MASK, scrubbed_errors
from velo.settings import Settings

SETTINGS_KEY = "velo"
SETTING_TYPES = get_type_hints(Settings)
# Run tag asking loads to drop their raw tables and state, and dbt to rebuild from scratch.
FULL_REFRESH_TAG = "velo/full_refresh"
# The daily build (dbt assets, publish) starts at the first automation evaluation after this tick
# at which every asset it depends on was updated since: after the day's loads, however long
# they take (dbt models and publish follow in the same run as their parents).
DAILY_BUILD_CRON = "0 2 * * *"
DAILY_BUILD = dg.AutomationCondition.on_cron(DAILY_BUILD_CRON)
# DuckDB has a single writer: every asset that writes (or reads while others write) the warehouse
# runs in this pool, whose limit is 1 (the instance's dagster.yaml sets the default pool limit).
WAREHOUSE_POOL = "warehouse"
# First retry after this many seconds, doubling each time (tests shorten it).
RETRY_DELAY_SECONDS = 2.0
# dlt's HTTP client already retries each request; these are whole-step retries on top.
API_MAX_RETRIES = 2
DBT_MAX_RETRIES = 2


@contextmanager
def step_errors(what: str) -> Iterator[None]:
    """A step's failure as one scrubbed line without its cause (the event log keeps failures);
    a dagster Failure (failing data tests: not retried) stays as it is."""
    with scrubbed_errors(what, passthrough=(dg.Failure,)):
        yield


def retry_policy(max_retries: int) -> dg.RetryPolicy:
    """Exponential backoff with jitter, for steps that meet flaky networks or locked files."""
    return dg.RetryPolicy(
        max_retries=max_retries,
        delay=RETRY_DELAY_SECONDS,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def is_full_refresh(context: dg.AssetExecutionContext) -> bool:
    return context.run.tags.get(FULL_REFRESH_TAG) == "true"


@dataclass(frozen=True, repr=False, eq=False)
class Withheld:
    """The settings a :class:`SettingsResource` keeps out of Dagster's config, by name."""

    values: dict[str, Any]

    def __repr__(self) -> str:  # a repr (in an error, a debugger) must not show them either
        return f"Withheld({MASK})"


class SettingsResource(dg.ConfigurableResource):
    """Velo's settings; each run gets them with its clock decided and the simulated APIs started.

    Only the settings that cannot hold a credential are config fields (shown in the UI,
    overridable in a run's config): Dagster stores config in repository and job snapshots and in
    every run, where no masking reaches. The API keys, the Slack webhook and every URL (a
    database URL may hold a password, an API URL a key parameter) are never config: they stay in
    the process as ``withheld``, a plain-value dependency Dagster hands on without serialising
    (its snapshots record only the class name). They come from where all settings come from:
    the Settings given to ``definitions``, which the code location resolves from velo.toml and
    VELO_* in every process that loads it, the UI's run workers included. ``EnvVar`` would not
    do: settings also come from velo.toml or from code, and a password is part of a URL.
    """

    data_dir: str
    warehouse: str = Field(description="duckdb, postgres or snowflake")
    warehouse_path: str
    serving_path: str
    state_dir: str
    news_ticker: str
    sentiment_scorer: str
    clock: str | None = Field(description="The platform's clock (ISO); none: decided per run")
    clock_kind: str = Field(description="Which clock `clock` is: fixed, simulated or wall")
    seed: int
    archive_after_days: int
    expire_after_days: int
    duckdb_memory_limit: str
    duckdb_threads: int
    source_tables_add: list[str]
    source_tables_drop: list[str]
    withheld: dg.ResourceDependency[Withheld]

    _live: Settings | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        # Whatever is not a config field is withheld: a setting added later stays secret until
        # it is declared here.
        config_keys = set(cls.model_fields) - {"withheld"}
        values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
        shown = {key: config_value(value) for key, value in values.items() if key in config_keys}
        withheld = {key: value for key, value in values.items() if key not in config_keys}
        return cls(**shown, withheld=Withheld(withheld))

    def configured(self) -> Settings:
        """The settings this resource holds: its config (as the run may have overridden it)
        and the withheld values."""
        config_keys = set(type(self).model_fields) - {"withheld"}
        shown = {key: setting_value(key, getattr(self, key)) for key in config_keys}
        return Settings(**self.withheld.values, **shown)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Self]:
        from velo.runtime import platform

        with platform(self.configured()) as live:
            self._live = live
            try:
                yield self
            finally:  # the simulated APIs stop here: their URLs must not outlive the run
                self._live = None

    @property
    def settings(self) -> Settings:
        """The run's settings: clock decided, simulated APIs (if used) answering."""
        if self._live is None:
            raise RuntimeError("the velo settings are live only while a Dagster run executes")
        return self._live


def setting_value(name: str, value: Any) -> Any:
    """A config value back as the setting's own type (:func:`config_value`'s inverse)."""
    kind = SETTING_TYPES[name]
    if value is None or kind in (str, int):
        return value
    if kind is Path:
        return Path(value)
    if get_origin(kind) is tuple:
        return tuple(value)
    return datetime.fromisoformat(value)  # the clock, the one other type


def config_value(value: Any) -> Any:
    """A setting as Dagster config holds it: paths and the clock as text, lists as lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def definitions(settings: Settings) -> dg.Definitions:
    from dagster_dlt import DagsterDltResource

    return dg.Definitions(
        resources={
            SETTINGS_KEY: SettingsResource.from_settings(settings),
            "dlt": DagsterDltResource(),
        }
    )
