"""When orders and work orders arrive: a daily rate with growth, weekly and seasonal swings, and
arrival instants drawn from it, mostly in business hours.
"""

from __future__ import annotations

import math

import numpy as np

from velo.simulator.company.instants import SECONDS_PER_DAY

ANNUAL_GROWTH = 1.25
_GROWTH_MEAN = (ANNUAL_GROWTH - 1) / math.log(ANNUAL_GROWTH)  # mean growth factor in year one


def _daily_rate(days: np.ndarray, start_day: int) -> np.ndarray:
    """Relative intake per day: growth, busier weekends, a summer peak (mean ~1 in year one)."""
    growth = ANNUAL_GROWTH ** ((days - start_day) / 365) / _GROWTH_MEAN
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    weekly = np.where(weekday >= 5, 1.35, 0.86)
    seasonal = 1 + 0.2 * np.cos(2 * np.pi * (days - 171) / 365.25)  # peak near the solstice
    return growth * weekly * seasonal


def _arrivals(
    rng: np.random.Generator, first: int, last: int, start_day: int, per_day: float
) -> np.ndarray:
    """Sorted arrival instants (unix seconds) from ``first`` to ``last`` (inclusive), mostly in
    business hours: drawn for the whole days the range touches, then cut to it."""
    days = np.arange(first // SECONDS_PER_DAY, last // SECONDS_PER_DAY + 1)
    counts = rng.poisson(per_day * _daily_rate(days, start_day))
    day = np.repeat(days, counts)
    hours = np.clip(rng.normal(14.0, 4.0, len(day)), 0.0, 23.999)
    instants = np.sort(day * SECONDS_PER_DAY + (hours * 3600).astype(np.int64))
    return instants[(instants >= first) & (instants <= last)]
