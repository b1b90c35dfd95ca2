"""The operations source contract: which tables ingestion reads, and how.

One entry per table: where it lives (schema-qualified where the database has schemas), its
primary key, its cursor column and its load strategy (``merge`` = incremental on the cursor,
merged on the key; ``replace`` = read in full and replaced). raw keeps the source's own table and
column names; dbt staging renames them (one staging view per table).

The default is AdventureWorks' own layout, as AdventureWorks-for-Postgres creates it (schemas
person/production/sales, lower-case names): a real AdventureWorks database can be read with
configuration only. On a database without schemas (SQLite) the same names are unqualified; every
table read here has a name unique across the schemas, so raw holds one table per name either way.

Configuration (resolved in :mod:`velo.settings`) changes the default contract:
``source_tables_drop`` names tables not to read; ``source_tables_add`` adds tables, each
``[schema.]table[:cursor[:key+key]]`` (cursor ``-`` = full replace; no cursor = ``modifieddate``,
AdventureWorks' change column; no key = the primary key reflected from the database).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from velo.settings import ConfigError, Settings

Strategy = Literal["merge", "replace"]

# AdventureWorks stamps every row with the time it last changed.
DEFAULT_CURSOR = "modifieddate"
NO_CURSOR = "-"


@dataclass(frozen=True)
class SourceTable:
    """One table of the contract."""

    name: str
    schema: str | None  # the source schema (PostgreSQL); None = unqualified
    primary_key: tuple[str, ...]  # empty = reflect it from the database
    cursor: str | None  # None = no cursor: read in full and replaced
    columns: tuple[str, ...] = ()  # the columns the platform reads (empty = all, as found)

    @property
    def strategy(self) -> Strategy:
        return "replace" if self.cursor is None else "merge"

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def describe(self) -> str:
        key = "+".join(self.primary_key) or "(reflected)"
        cursor = f" cursor={self.cursor}" if self.cursor else ""
        return f"{self.qualified_name} key={key}{cursor} load={self.strategy}"


def _table(
    qualified: str, key: str, columns: str, cursor: str | None = DEFAULT_CURSOR
) -> SourceTable:
    schema, name = qualified.split(".")
    return SourceTable(name, schema, tuple(key.split("+")), cursor, tuple(columns.split()))


# The tables the platform reads, in AdventureWorks' own layout. The small reference tables are
# read in full and replaced; everything else is read incrementally on modifieddate. Microsoft's
# computed columns (Customer.AccountNumber, SalesOrderHeader.SalesOrderNumber,
# SalesOrderDetail.LineTotal, WorkOrder.StockedQty) are not read: AdventureWorks-for-Postgres
# drops them, and dbt staging derives them with Microsoft's definitions.
ADVENTUREWORKS: tuple[SourceTable, ...] = (
    _table(
        "person.countryregion", "countryregioncode", "countryregioncode name modifieddate", None
    ),
    _table(
        "person.stateprovince",
        "stateprovinceid",
        "stateprovinceid stateprovincecode countryregioncode name modifieddate",
        None,
    ),
    _table(
        "production.productcategory",
        "productcategoryid",
        "productcategoryid name modifieddate",
        None,
    ),
    _table(
        "production.productsubcategory",
        "productsubcategoryid",
        "productsubcategoryid productcategoryid name modifieddate",
        None,
    ),
    _table(
        "sales.salesreason", "salesreasonid", "salesreasonid name reasontype modifieddate", None
    ),
    _table(
        "person.address",
        "addressid",
        "addressid addressline1 addressline2 city stateprovinceid postalcode modifieddate",
    ),
    _table(
        "person.person",
        "businessentityid",
        "businessentityid persontype firstname lastname modifieddate",
    ),
    _table("sales.store", "businessentityid", "businessentityid name modifieddate"),
    _table("sales.customer", "customerid", "customerid personid storeid modifieddate"),
    _table(
        "sales.creditcard",
        "creditcardid",
        "creditcardid cardtype cardnumber expmonth expyear modifieddate",
    ),
    _table(
        "production.product",
        "productid",
        "productid name productnumber color size productsubcategoryid standardcost listprice "
        "sellstartdate sellenddate modifieddate",
    ),
    _table(
        "production.productlistpricehistory",
        "productid+startdate",
        "productid startdate enddate listprice modifieddate",
    ),
    _table(
        "production.productcosthistory",
        "productid+startdate",
        "productid startdate enddate standardcost modifieddate",
    ),
    _table(
        "sales.salesorderheader",
        "salesorderid",
        "salesorderid revisionnumber orderdate duedate shipdate status onlineorderflag "
        "customerid billtoaddressid shiptoaddressid creditcardid subtotal taxamt "
        "freight totaldue modifieddate",
    ),
    _table(
        "sales.salesorderdetail",
        "salesorderid+salesorderdetailid",
        "salesorderid salesorderdetailid orderqty productid unitprice unitpricediscount "
        "modifieddate",
    ),
    _table(
        "sales.salesorderheadersalesreason",
        "salesorderid+salesreasonid",
        "salesorderid salesreasonid modifieddate",
    ),
    _table(
        "production.workorder",
        "workorderid",
        "workorderid productid orderqty scrappedqty startdate enddate duedate modifieddate",
    ),
)
ADVENTUREWORKS_TABLES = {table.name: table for table in ADVENTUREWORKS}

# The orders table: its first key and cursor value tell one company's database from another.
IDENTITY_TABLE = "salesorderheader"
# A database may carry a creation marker (the simulator writes one each time it creates a
# company): a re-created database at the same address is another source.
CREATION_MARKER_TABLE = "sim_state"
CREATION_MARKER_KEY = "created"


def parse_table_spec(spec: str) -> SourceTable:
    """``[schema.]table[:cursor[:key+key]]`` -> a contract entry, or one ConfigError."""
    parts = spec.strip().split(":")
    if len(parts) > 3 or not parts[0]:
        raise ConfigError(
            f"setting 'source_tables_add': {spec!r} is not schema.table:cursor:key+key "
            "(schema, cursor and key optional)"
        )
    schema, _, name = parts[0].rpartition(".")
    cursor = parts[1] if len(parts) > 1 else DEFAULT_CURSOR
    key = tuple(k for k in parts[2].split("+") if k) if len(parts) > 2 else ()
    return SourceTable(
        name.lower(), schema.lower() or None, key, None if cursor == NO_CURSOR else cursor
    )


def source_contract(settings: Settings) -> tuple[SourceTable, ...]:
    """The default contract with the configured tables dropped and added."""
    tables = {table.name: table for table in ADVENTUREWORKS}
    for name in settings.source_tables_drop:
        bare = name.rpartition(".")[2].lower()
        if bare not in tables:
            raise ConfigError(
                f"setting 'source_tables_drop': no table {name!r} in the source contract "
                f"(tables: {', '.join(tables)})"
            )
        del tables[bare]
    for spec in settings.source_tables_add:
        added = parse_table_spec(spec)
        tables[added.name] = added
    return tuple(tables.values())


def without_schemas(contract: tuple[SourceTable, ...]) -> tuple[SourceTable, ...]:
    """The contract on a database without schemas (SQLite): the same names, unqualified."""
    return tuple(replace(table, schema=None) for table in contract)
