"""Rows as column batches (``Batch``: column name -> array, as :mod:`velo.simulator.bulk` loads
them) and the random text columns built from the catalog: patterns, street lines, card numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from velo.simulator import catalog

Batch = dict[str, Any]


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def _join(*parts: Any) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    arrays = [p if isinstance(p, (str, pa.Array)) else pa.array(p) for p in parts]
    return pc.binary_join_element_wise(*arrays, "")


def _pattern(rng: np.random.Generator, pattern: str, n: int) -> pa.Array:
    """Random text following a pattern: 'd' a digit, 'L' an upper-case letter, else literal."""
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    parts: list[Any] = []
    for char in pattern:
        if char == "d":
            parts.append(_text(rng.integers(0, 10, n)))
        elif char == "L":
            parts.append(pa.array(letters[rng.integers(0, len(letters), n)]))
        else:
            parts.append(char)
    return _join(*parts)


def _street_lines(rng: np.random.Generator, n: int) -> pa.Array:
    streets = np.array(catalog.STREETS)
    suffixes = np.array(catalog.STREET_SUFFIXES)
    return _join(
        _text(rng.integers(1, 10_000, n)),
        " ",
        streets[rng.integers(0, len(streets), n)],
        " ",
        suffixes[rng.integers(0, len(suffixes), n)],
    )


def _card_numbers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Card types and numbers from real issuer ranges with a valid Luhn check digit."""
    kinds = rng.choice(len(catalog.CARD_TYPES), n, p=[t[3] for t in catalog.CARD_TYPES])
    numbers = np.empty(n, dtype=object)
    for kind, (_, prefixes, length, _) in enumerate(catalog.CARD_TYPES):
        rows = np.flatnonzero(kinds == kind)
        digits = rng.integers(0, 10, (len(rows), length - 1))
        prefix = np.array([[int(c) for c in p] for p in prefixes])[
            rng.integers(0, len(prefixes), len(rows))
        ]
        digits[:, : prefix.shape[1]] = prefix
        # Luhn: double every second digit from the right of the payload, starting with the last.
        doubled = digits[:, ::-1].copy()
        doubled[:, ::2] *= 2
        doubled[doubled > 9] -= 9
        check = (10 - doubled.sum(axis=1) % 10) % 10
        full = np.concatenate([digits, check[:, None]], axis=1).astype(np.uint8) + ord("0")
        numbers[rows] = np.ascontiguousarray(full).view(f"S{length}").ravel().astype(str)
    names = np.array([t[0] for t in catalog.CARD_TYPES])
    return names[kinds], numbers.astype(str)
