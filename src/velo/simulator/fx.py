"""Deterministic hourly exchange rates (EUR base) for the simulated FX API.

Each quote follows a mean-reverting random walk (Ornstein-Uhlenbeck in log space) over the hours
since the fixed epoch 2010-01-01T00:00Z, from realistic 2010 levels towards long-run centres with
realistic annual volatility and a shared EUR shock, so EUR/USD wanders within ~1.0-1.45 over the
years. The walk is generated in fixed one-year chunks, each from its own seeded generator, so a
rate never depends on how far the walk has been computed; chunks are computed once per process
and cached.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import numpy as np

EPOCH = datetime(2010, 1, 1)
EPOCH_UNIX = int(EPOCH.replace(tzinfo=UTC).timestamp())
HOUR_SECONDS = 3600
HOURS_PER_YEAR = 8760
CHUNK_HOURS = HOURS_PER_YEAR
BASE = "EUR"

# quote: (level on 2010-01-01, long-run centre, annual volatility)
CURRENCIES: dict[str, tuple[float, float, float]] = {
    "USD": (1.433, 1.18, 0.08),
    "GBP": (0.888, 0.86, 0.055),
    "CHF": (1.484, 1.10, 0.07),
    "CAD": (1.505, 1.45, 0.08),
    "AUD": (1.598, 1.55, 0.09),
    "JPY": (133.1, 132.0, 0.09),
}
QUOTES = tuple(CURRENCIES)
# Half-life of a deviation from the centre: about two years.
REVERSION_PER_HOUR = np.log(2) / (2 * HOURS_PER_YEAR)
SHARED_SHOCK_WEIGHT = 0.6  # EUR-side news moves every quote together

_START = np.log([level for level, _, _ in CURRENCIES.values()])
_CENTRE = np.log([centre for _, centre, _ in CURRENCIES.values()])
_HOURLY_VOL = np.array([vol for _, _, vol in CURRENCIES.values()]) / np.sqrt(HOURS_PER_YEAR)

_chunks: dict[int, list[np.ndarray]] = {}
_lock = threading.Lock()


def hour_index(moment: datetime) -> int:
    """Whole hours since the epoch, rounded down (naive UTC datetime)."""
    return int((moment - EPOCH).total_seconds() // HOUR_SECONDS)


def hour_timestamp(index: int) -> int:
    return EPOCH_UNIX + index * HOUR_SECONDS


def hour_of_timestamp(unix: int) -> int:
    """The hour index a unix timestamp falls in (rounded down)."""
    return (unix - EPOCH_UNIX) // HOUR_SECONDS


def _next_chunk(seed: int, number: int, start_deviation: np.ndarray) -> np.ndarray:
    """Log-deviations from the centres for one chunk of hours, continuing from the last one.

    Exact OU discretisation without a Python loop: y_t = a^t (y_0 + sum_k a^-k s e_k); with
    a ~ 1 - 4e-5 and 8760 steps a^-k stays below 1.5, so this is numerically safe.
    """
    rng = np.random.default_rng([seed, 0xF7, number])
    shared = rng.standard_normal((CHUNK_HOURS, 1))
    own = rng.standard_normal((CHUNK_HOURS, len(QUOTES)))
    shocks = (
        SHARED_SHOCK_WEIGHT * shared + np.sqrt(1 - SHARED_SHOCK_WEIGHT**2) * own
    ) * _HOURLY_VOL
    steps = np.arange(1, CHUNK_HOURS + 1)[:, None]
    log_a = np.log1p(-REVERSION_PER_HOUR)
    return np.exp(steps * log_a) * (start_deviation + np.cumsum(np.exp(-steps * log_a) * shocks, 0))


def _chunks_until(seed: int, number: int) -> list[np.ndarray]:
    with _lock:
        chunks = _chunks.setdefault(seed, [])
        while len(chunks) <= number:
            previous = chunks[-1][-1] if chunks else _START - _CENTRE
            chunks.append(_next_chunk(seed, len(chunks), previous))
        return chunks


def rates_for_hours(seed: int, first: int, last: int) -> np.ndarray:
    """Rates (rows = hours first..last inclusive, columns = QUOTES); hour 0 is the epoch."""
    if first < 0 or last < first:
        raise ValueError(f"hour range {first}..{last} is not within the walk")
    # Row i of chunk c is hour c * CHUNK_HOURS + i + 1; hour 0 is the starting level itself.
    first_chunk, last_chunk = max(first - 1, 0) // CHUNK_HOURS, max(last - 1, 0) // CHUNK_HOURS
    chunks = _chunks_until(seed, last_chunk)[first_chunk : last_chunk + 1]
    offset = first_chunk * CHUNK_HOURS + 1  # the hour of the first row below
    if first == 0:
        chunks = [(_START - _CENTRE)[None, :], *chunks]
        offset -= 1
    deviations = np.vstack(chunks)[first - offset : last - offset + 1]
    return np.exp(_CENTRE + deviations)


def rates_at_hour(seed: int, index: int) -> dict[str, float]:
    (row,) = rates_for_hours(seed, index, index)
    return rounded(row)


def rounded(row: np.ndarray) -> dict[str, float]:
    return {quote: round(float(rate), 6) for quote, rate in zip(QUOTES, row, strict=True)}
