"""New customers: the person, store, customer, address and credit card rows generated for them,
with aligned ids.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from velo.simulator import catalog
from velo.simulator.bulk import datetimes
from velo.simulator.company.columns import (
    Batch,
    _card_numbers,
    _join,
    _pattern,
    _street_lines,
    _text,
)
from velo.simulator.company.randomness import _is_store
from velo.simulator.company.reference import _cities


def _customers(
    rng: np.random.Generator, seed: int, ids: np.ndarray, created: np.ndarray
) -> dict[str, Batch]:
    """Person, store, customer, address and credit card rows for new customers (ids aligned)."""
    n = len(ids)
    modified = datetimes(created)
    store = _is_store(seed, ids)
    first = np.array(catalog.FIRST_NAMES)[rng.integers(0, len(catalog.FIRST_NAMES), n)]
    last = np.array(catalog.LAST_NAMES)[rng.integers(0, len(catalog.LAST_NAMES), n)]
    cities = _cities()
    city = rng.choice(len(cities.name), n, p=cities.probability)
    postal_parts = np.empty(n, dtype=object)
    for country, pattern in catalog.POSTAL_SUFFIX.items():
        rows = np.flatnonzero(cities.country[city] == country)
        suffix = _pattern(rng, pattern, len(rows))
        postal_parts[rows] = _join(pa.array(cities.postal_prefix[city[rows]]), suffix).to_numpy(
            zero_copy_only=False
        )
    postal = pa.array(postal_parts, type=pa.string())
    line2 = _join("Apt ", _text(rng.integers(1, 1000, n)))
    card_type, card_number = _card_numbers(rng, n)
    created_year = created.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    words = [np.array(w) for w in catalog.STORE_WORDS]
    store_ids = ids[store]
    store_names = _join(
        words[0][rng.integers(0, len(words[0]), len(store_ids))],
        " ",
        words[1][rng.integers(0, len(words[1]), len(store_ids))],
    )
    no_apartment = rng.random(n) >= 0.1
    return {
        "person": {
            "businessentityid": ids,
            "persontype": np.where(store, "SC", "IN"),
            "firstname": first,
            "lastname": last,
            "modifieddate": modified,
        },
        "store": {
            "businessentityid": store_ids,
            "name": store_names,
            "modifieddate": modified[store],
        },
        "customer": {
            "customerid": ids,
            "personid": ids,
            "storeid": pa.array(ids, mask=~store),
            "modifieddate": modified,
        },
        "address": {
            "addressid": ids,
            "addressline1": _street_lines(rng, n),
            "addressline2": pc.if_else(pa.array(no_apartment), pa.nulls(n, pa.string()), line2),
            "city": cities.name[city],
            "stateprovinceid": cities.state_province_id[city],
            "postalcode": postal,
            "modifieddate": modified,
        },
        "creditcard": {
            "creditcardid": ids,
            "cardtype": card_type,
            "cardnumber": card_number,
            "expmonth": rng.integers(1, 13, n),
            "expyear": created_year + rng.integers(1, 6, n),
            "modifieddate": modified,
        },
    }
