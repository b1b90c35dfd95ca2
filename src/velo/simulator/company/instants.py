"""Time as the simulator counts it: whole seconds since 1970-01-01 (naive UTC), day numbers since
then, and the conversions to and from ``datetime``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

SECONDS_PER_DAY = 86_400
EPOCH = datetime(1970, 1, 1)
NEVER = np.int64(2**62)  # the time of an event that does not happen


def _seconds(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds())


def _moment(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=int(seconds))


def _day_number(day: date) -> int:
    return (day - EPOCH.date()).days
