"""Static reference data from the catalog: the products, the cities customers live in, and the
five small reference tables (countries, regions, product categories, sales reasons).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np

from velo.simulator import catalog
from velo.simulator.bulk import datetimes
from velo.simulator.company.columns import Batch


@cache
def _products() -> catalog.Products:
    return catalog.build_products()


@dataclass(frozen=True)
class _Cities:
    name: np.ndarray
    state_province_id: np.ndarray
    country: np.ndarray
    postal_prefix: np.ndarray
    probability: np.ndarray


@cache
def _cities() -> _Cities:
    share = {code: weight for code, _, weight in catalog.COUNTRIES}
    country_weight = Counter()
    for country, _, _, weight, _ in catalog.REGIONS:
        country_weight[country] += weight
    names, regions, countries, prefixes, probabilities = [], [], [], [], []
    for region_id, (country, _, _, weight, cities) in enumerate(catalog.REGIONS, 1):
        for city, prefix in cities:
            names.append(city)
            regions.append(region_id)
            countries.append(country)
            prefixes.append(prefix)
            probabilities.append(share[country] * weight / country_weight[country] / len(cities))
    return _Cities(
        name=np.array(names),
        state_province_id=np.array(regions),
        country=np.array(countries),
        postal_prefix=np.array(prefixes),
        probability=np.array(probabilities) / sum(probabilities),
    )


def _reference_batches(modified: int) -> dict[str, Batch]:
    """The five small reference tables, all stamped with one modification time."""

    def stamped(rows: list[tuple], columns: tuple[str, ...]) -> Batch:
        batch: Batch = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
        batch["modifieddate"] = datetimes(np.full(len(rows), modified))
        return batch

    return {
        "countryregion": stamped(
            [(code, name) for code, name, _ in catalog.COUNTRIES], ("countryregioncode", "name")
        ),
        "stateprovince": stamped(
            [
                (i, code, country, name)
                for i, (country, code, name, _, _) in enumerate(catalog.REGIONS, 1)
            ],
            ("stateprovinceid", "stateprovincecode", "countryregioncode", "name"),
        ),
        "productcategory": stamped(list(catalog.CATEGORIES), ("productcategoryid", "name")),
        "productsubcategory": stamped(
            list(catalog.SUBCATEGORIES),
            ("productsubcategoryid", "productcategoryid", "name"),
        ),
        "salesreason": stamped(
            [row[:3] for row in catalog.SALES_REASONS], ("salesreasonid", "name", "reasontype")
        ),
    }
