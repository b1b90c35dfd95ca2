"""`velo config --check`: can the platform reach what its settings name?

Settings are parsed without touching the network; this probes each configured endpoint once,
so an unreachable URL is one clear line (and exit code 2) before any pipeline runs.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from velo.errors import UsageError, VeloError
from velo.landing import landing_fs
from velo.settings import SIMULATED_FX_API_URL, SIMULATED_NEWS_API_URL, Settings

TIMEOUT_SECONDS = 5.0


def check_ops_db(settings: Settings) -> str:
    from velo.ingest.operations import connect_ops_db, missing_sqlite_file

    missing = missing_sqlite_file(settings.ops_db_url)
    if missing is not None:
        return f"{missing} does not exist yet (`velo sim init` creates it)"
    try:
        connect_ops_db(settings.ops_db_url).dispose()
    except VeloError as exc:
        raise UsageError(f"ops_db_url: {exc}") from None
    return "connected"


def check_landing(settings: Settings) -> str:
    try:
        fs, root = landing_fs(settings)
        fs.ls(root)
    except Exception as exc:  # fsspec backends raise their own exception types
        raise UsageError(f"landing_url {settings.landing_url} is unreachable: {exc}") from None
    return "listed"


def check_api(key: str, simulated_url: str) -> Callable[[Settings], str]:
    def check(settings: Settings) -> str:
        url = getattr(settings, key)
        if url == simulated_url:
            return "simulated (started in-process when needed)"
        try:
            response = httpx.get(url, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise UsageError(f"{key} {url} is unreachable: {type(exc).__name__}") from None
        return f"answered HTTP {response.status_code}"

    return check


CHECKS: dict[str, Callable[[Settings], str]] = {
    "ops_db_url": check_ops_db,
    "landing_url": check_landing,
    "fx_api_url": check_api("fx_api_url", SIMULATED_FX_API_URL),
    "news_api_url": check_api("news_api_url", SIMULATED_NEWS_API_URL),
}


def check_reachable(settings: Settings) -> dict[str, str]:
    """Probe every endpoint; the first unreachable one raises UsageError naming it."""
    return {key: check(settings) for key, check in CHECKS.items()}
