"""Load Microsoft's AdventureWorks 2014 OLTP exports into the operations database.

`velo sim load-adventureworks` turns the real sample company into the database the simulator
would have produced (:mod:`velo.simulator.schema`), so the whole platform runs on it unchanged.

``SOURCES`` holds Microsoft's table definitions (column order, for header-less exports) and
``MAPPING`` is the one place AdventureWorks names meet the platform's: target table -> source
table, target column -> (source column, conversion). The readers (:mod:`velo.simulator.aw_readers`)
handle the files' quirks. Decisions the mapping encodes:

- ``state_province_code`` drops the trailing blank of AdventureWorks' ``nchar(3)``;
- datetimes keep whole seconds; an explicit zone (SalesOrderDetail's ``...Z``) is converted to
  naive UTC, which is the file's instant (its 5 h shift against the other tables is kept as is);
- ``dd-mm-yyyy`` dates (WorkOrder) are read day first;
- an empty field is NULL; a NULL in a NOT NULL column is an error naming the file and line;
- ``person.email_address`` comes from an EmailAddress export when there is one, else NULL;
- every other target column has a source column, so no defaults are invented.

Every file is read and converted before the database is touched; the load itself is one
transaction (PostgreSQL) or a database built beside the target and swapped in (SQLite), so a
failure leaves the previous operations DB as it was.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from velo.errors import UsageError, VeloError
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.aw_readers import RawTable, find_table_file, read_table
from velo.simulator.bulk import load_tables, rebuilt_database
from velo.simulator.clock import SIM_CLOCK_KEY
from velo.simulator.company import SOURCE_KEY, row_counts, write_state

DATASET_DIR = Path("shared") / "datasets" / "adventureworks-2014"
DATASET_NAME = "adventureworks-2014"


# --- Microsoft's table definitions ---------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """An AdventureWorks table: its columns in definition order, and what a complete copy holds."""

    name: str
    columns: tuple[str, ...]
    published_rows: int | None = None  # set where the shipped copy is known to be cut short

    @property
    def truncated_copy(self) -> bool:
        return self.published_rows is not None


def _source(name: str, columns: str, published_rows: int | None = None) -> Source:
    return Source(name, tuple(columns.split()), published_rows)


SOURCES = {
    s.name: s
    for s in (
        _source("CountryRegion", "CountryRegionCode Name ModifiedDate"),
        _source(
            "StateProvince",
            "StateProvinceID StateProvinceCode CountryRegionCode IsOnlyStateProvinceFlag Name "
            "TerritoryID rowguid ModifiedDate",
        ),
        _source(
            "Address",
            "AddressID AddressLine1 AddressLine2 City StateProvinceID PostalCode SpatialLocation "
            "rowguid ModifiedDate",
        ),
        _source("ProductCategory", "ProductCategoryID Name rowguid ModifiedDate"),
        _source(
            "ProductSubcategory", "ProductSubcategoryID ProductCategoryID Name rowguid ModifiedDate"
        ),
        _source(
            "Product",
            "ProductID Name ProductNumber MakeFlag FinishedGoodsFlag Color SafetyStockLevel "
            "ReorderPoint StandardCost ListPrice Size SizeUnitMeasureCode WeightUnitMeasureCode "
            "Weight DaysToManufacture ProductLine Class Style ProductSubcategoryID ProductModelID "
            "SellStartDate SellEndDate DiscontinuedDate rowguid ModifiedDate",
        ),
        _source("ProductListPriceHistory", "ProductID StartDate EndDate ListPrice ModifiedDate"),
        _source("ProductCostHistory", "ProductID StartDate EndDate StandardCost ModifiedDate"),
        _source(
            "Person",
            "BusinessEntityID PersonType NameStyle Title FirstName MiddleName LastName Suffix "
            "EmailPromotion AdditionalContactInfo Demographics rowguid ModifiedDate",
        ),
        _source(
            "EmailAddress", "BusinessEntityID EmailAddressID EmailAddress rowguid ModifiedDate"
        ),
        _source("Store", "BusinessEntityID Name SalesPersonID Demographics rowguid ModifiedDate"),
        _source(
            "Customer", "CustomerID PersonID StoreID TerritoryID AccountNumber rowguid ModifiedDate"
        ),
        _source("CreditCard", "CreditCardID CardType CardNumber ExpMonth ExpYear ModifiedDate"),
        _source("SalesReason", "SalesReasonID Name ReasonType ModifiedDate"),
        _source(
            "SalesOrderHeader",
            "SalesOrderID RevisionNumber OrderDate DueDate ShipDate Status OnlineOrderFlag "
            "SalesOrderNumber PurchaseOrderNumber AccountNumber CustomerID SalesPersonID "
            "TerritoryID BillToAddressID ShipToAddressID ShipMethodID CreditCardID "
            "CreditCardApprovalCode CurrencyRateID SubTotal TaxAmt Freight TotalDue Comment "
            "rowguid ModifiedDate",
        ),
        _source(
            "SalesOrderDetail",
            "SalesOrderID SalesOrderDetailID CarrierTrackingNumber OrderQty ProductID "
            "SpecialOfferID UnitPrice UnitPriceDiscount LineTotal rowguid ModifiedDate",
        ),
        _source("SalesOrderHeaderSalesReason", "SalesOrderID SalesReasonID ModifiedDate"),
        _source(
            "WorkOrder",
            "WorkOrderID ProductID OrderQty StockedQty ScrappedQty StartDate EndDate DueDate "
            "ScrapReasonID ModifiedDate",
            published_rows=72_591,
        ),
    )
}


# --- conversions ---------------------------------------------------------------------------------

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_DAY_FIRST_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


def _to_datetime(raw: str) -> datetime:
    """ISO-ish datetimes (fractions dropped, zones converted to naive UTC) or dd-mm-yyyy."""
    if match := _DAY_FIRST_DATE.fullmatch(raw):
        day, month, year = (int(g) for g in match.groups())
        return datetime(year, month, day)
    match = _DATETIME.fullmatch(raw)
    if match is None:
        raise ValueError("not a date/time")
    *parts, zone = match.groups()
    moment = datetime(*(int(p or 0) for p in parts))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        moment -= sign * timedelta(hours=hours, minutes=minutes)
    return moment


def _to_money(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _to_flag(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered not in ("0", "1", "true", "false"):
        raise ValueError("not a flag (0/1)")
    return lowered in ("1", "true")


@dataclass(frozen=True)
class Conversion:
    """How a text field becomes a value of the target column's type."""

    name: str
    arrow_type: pa.DataType
    parse: Callable[[str], Any]


INT = Conversion("integer", pa.int64(), int)
TEXT = Conversion("text", pa.string(), str)
CODE = Conversion("code", pa.string(), str.strip)  # nchar(n) columns: padding is not data
MONEY = Conversion("amount", pa.float64(), _to_money)
DATETIME = Conversion("date/time", pa.timestamp("s"), _to_datetime)
FLAG = Conversion("flag", pa.bool_(), _to_flag)


@dataclass(frozen=True)
class Lookup:
    """A text column from another, optional export, joined on the main source's key column."""

    source: str
    key: str
    value: str


@dataclass(frozen=True)
class TableMapping:
    source: str
    columns: dict[str, tuple[str, Conversion] | Lookup]


# --- the mapping: target table -> source table; target column -> (source column, conversion) ---

MAPPING: dict[str, TableMapping] = {
    "country_region": TableMapping(
        "CountryRegion",
        {
            "country_region_code": ("CountryRegionCode", CODE),
            "name": ("Name", TEXT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "state_province": TableMapping(
        "StateProvince",
        {
            "state_province_id": ("StateProvinceID", INT),
            "state_province_code": ("StateProvinceCode", CODE),
            "country_region_code": ("CountryRegionCode", CODE),
            "name": ("Name", TEXT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "address": TableMapping(
        "Address",
        {
            "address_id": ("AddressID", INT),
            "address_line1": ("AddressLine1", TEXT),
            "address_line2": ("AddressLine2", TEXT),
            "city": ("City", TEXT),
            "state_province_id": ("StateProvinceID", INT),
            "postal_code": ("PostalCode", TEXT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "product_category": TableMapping(
        "ProductCategory",
        {
            "product_category_id": ("ProductCategoryID", INT),
            "name": ("Name", TEXT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "product_subcategory": TableMapping(
        "ProductSubcategory",
        {
            "product_subcategory_id": ("ProductSubcategoryID", INT),
            "product_category_id": ("ProductCategoryID", INT),
            "name": ("Name", TEXT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "product": TableMapping(
        "Product",
        {
            "product_id": ("ProductID", INT),
            "name": ("Name", TEXT),
            "product_number": ("ProductNumber", TEXT),
            "color": ("Color", TEXT),
            "size": ("Size", TEXT),
            "product_subcategory_id": ("ProductSubcategoryID", INT),
            "standard_cost": ("StandardCost", MONEY),
            "list_price": ("ListPrice", MONEY),
            "sell_start_date": ("SellStartDate", DATETIME),
            "sell_end_date": ("SellEndDate", DATETIME),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "product_list_price_history": TableMapping(
        "ProductListPriceHistory",
        {
            "product_id": ("ProductID", INT),
            "start_date": ("StartDate", DATETIME),
            "end_date": ("EndDate", DATETIME),
            "list_price": ("ListPrice", MONEY),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "product_cost_history": TableMapping(
        "ProductCostHistory",
        {
            "product_id": ("ProductID", INT),
            "start_date": ("StartDate", DATETIME),
            "end_date": ("EndDate", DATETIME),
            "standard_cost": ("StandardCost", MONEY),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "person": TableMapping(
        "Person",
        {
            "business_entity_id": ("BusinessEntityID", INT),
            "person_type": ("PersonType", CODE),
            "first_name": ("FirstName", TEXT),
            "last_name": ("LastName", TEXT),
            "email_address": Lookup("EmailAddress", key="BusinessEntityID", value="EmailAddress"),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "store": TableMapping(
        "Store",
        {
            "business_entity_id": ("BusinessEntityID", INT),
            "name": ("Name", TEXT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "customer": TableMapping(
        "Customer",
        {
            "customer_id": ("CustomerID", INT),
            "person_id": ("PersonID", INT),
            "store_id": ("StoreID", INT),
            "account_number": ("AccountNumber", TEXT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "credit_card": TableMapping(
        "CreditCard",
        {
            "credit_card_id": ("CreditCardID", INT),
            "card_type": ("CardType", TEXT),
            "card_number": ("CardNumber", TEXT),
            "exp_month": ("ExpMonth", INT),
            "exp_year": ("ExpYear", INT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "sales_reason": TableMapping(
        "SalesReason",
        {
            "sales_reason_id": ("SalesReasonID", INT),
            "name": ("Name", TEXT),
            "reason_type": ("ReasonType", TEXT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "sales_order_header": TableMapping(
        "SalesOrderHeader",
        {
            "sales_order_id": ("SalesOrderID", INT),
            "revision_number": ("RevisionNumber", INT),
            "order_date": ("OrderDate", DATETIME),
            "due_date": ("DueDate", DATETIME),
            "ship_date": ("ShipDate", DATETIME),
            "status": ("Status", INT),
            "online_order_flag": ("OnlineOrderFlag", FLAG),
            "sales_order_number": ("SalesOrderNumber", TEXT),
            "customer_id": ("CustomerID", INT),
            "bill_to_address_id": ("BillToAddressID", INT),
            "ship_to_address_id": ("ShipToAddressID", INT),
            "credit_card_id": ("CreditCardID", INT),
            "sub_total": ("SubTotal", MONEY),
            "tax_amt": ("TaxAmt", MONEY),
            "freight": ("Freight", MONEY),
            "total_due": ("TotalDue", MONEY),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "sales_order_detail": TableMapping(
        "SalesOrderDetail",
        {
            "sales_order_detail_id": ("SalesOrderDetailID", INT),
            "sales_order_id": ("SalesOrderID", INT),
            "order_qty": ("OrderQty", INT),
            "product_id": ("ProductID", INT),
            "unit_price": ("UnitPrice", MONEY),
            "unit_price_discount": ("UnitPriceDiscount", MONEY),
            "line_total": ("LineTotal", MONEY),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "sales_order_header_sales_reason": TableMapping(
        "SalesOrderHeaderSalesReason",
        {
            "sales_order_id": ("SalesOrderID", INT),
            "sales_reason_id": ("SalesReasonID", INT),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
    "work_order": TableMapping(
        "WorkOrder",
        {
            "work_order_id": ("WorkOrderID", INT),
            "product_id": ("ProductID", INT),
            "order_qty": ("OrderQty", INT),
            "stocked_qty": ("StockedQty", INT),
            "scrapped_qty": ("ScrappedQty", INT),
            "start_date": ("StartDate", DATETIME),
            "end_date": ("EndDate", DATETIME),
            "due_date": ("DueDate", DATETIME),
            "modified_date": ("ModifiedDate", DATETIME),
        },
    ),
}


# --- reading and converting ----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRead:
    """What was read from one export: the rows kept and what the copy lacks."""

    path: Path
    rows: int
    published_rows: int | None = None
    cut_line: int | None = None  # a cut-off last record that was dropped

    @property
    def missing(self) -> int:
        return 0 if self.published_rows is None else self.published_rows - self.rows


@dataclass
class Extract:
    batches: dict[str, dict[str, pa.Array]]
    reads: dict[str, SourceRead]


class _BadValue(Exception):
    def __init__(self, index: int, column: str, raw: str, problem: str) -> None:
        super().__init__(problem)
        self.index, self.column, self.raw, self.problem = index, column, raw, problem


def default_source_dir(cwd: Path | None = None) -> Path:
    """``shared/datasets/adventureworks-2014`` next to the repository (or the working directory)."""
    cwd = cwd or Path.cwd()
    repo = Path(__file__).resolve().parents[3]
    candidates = [repo.parent / DATASET_DIR, cwd / DATASET_DIR, cwd.parent / DATASET_DIR]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise UsageError(
        f"no AdventureWorks 2014 files found (looked in {', '.join(map(str, candidates))}); "
        "pass --from DIR"
    )


def _source_file(source_dir: Path, name: str) -> Path:
    path = find_table_file(source_dir, name)
    if path is None:
        raise VeloError(
            f"{source_dir}: no export of AdventureWorks table {name} "
            f"(expected {name}.csv, .csv.gz or .csv.zip)"
        )
    return path


def _convert_column(
    raw: RawTable, column: str, conversion: Conversion, target: sa.Column
) -> list[Any]:
    index = raw.column_index(column)
    values: list[Any] = []
    for row_index, fields in enumerate(raw.rows):
        text = fields[index]
        if text == "":
            if not target.nullable:
                raise _BadValue(row_index, column, text, f"is empty but {target} is required")
            values.append(None)
            continue
        try:
            values.append(conversion.parse(text))
        except (ValueError, OverflowError) as exc:
            raise _BadValue(
                row_index, column, text, f"is not a {conversion.name} ({exc})"
            ) from None
    return values


def _lookup_values(source_dir: Path, raw: RawTable, lookup: Lookup) -> list[Any]:
    """The lookup's values for each row, or all NULL when the optional export is absent."""
    path = find_table_file(source_dir, lookup.source)
    if path is None:
        return [None] * len(raw.rows)
    other = read_table(path, SOURCES[lookup.source].columns)
    keys, values = other.column_index(lookup.key), other.column_index(lookup.value)
    found: dict[str, str] = {}
    for fields in other.rows:  # the first value per key, in file order
        found.setdefault(fields[keys].strip(), fields[values])
    own = raw.column_index(lookup.key)
    return [found.get(fields[own].strip()) or None for fields in raw.rows]


def _batch(source_dir: Path, raw: RawTable, target: sa.Table, mapping: TableMapping) -> dict:
    batch: dict[str, pa.Array] = {}
    for name, spec in mapping.columns.items():
        if isinstance(spec, Lookup):
            values, arrow_type = _lookup_values(source_dir, raw, spec), TEXT.arrow_type
        else:
            column, conversion = spec
            values = _convert_column(raw, column, conversion, target.c[name])
            arrow_type = conversion.arrow_type
        batch[name] = pa.array(values, type=arrow_type)
    return batch


def _read_mapped(source_dir: Path, table: str, mapping: TableMapping) -> tuple[dict, SourceRead]:
    source = SOURCES[mapping.source]
    path = _source_file(source_dir, source.name)
    raw = read_table(path, source.columns, allow_cut=source.truncated_copy)
    target = schema.metadata.tables[table]
    try:
        batch = _batch(source_dir, raw, target, mapping)
    except _BadValue as bad:
        is_cut_last = bad.index == len(raw.rows) - 1 and not raw.terminated
        if not (is_cut_last and source.truncated_copy):
            raise VeloError(
                f"{path}: line {raw.lines[bad.index]}: {bad.column} {bad.raw!r} {bad.problem}"
            ) from None
        raw = raw.without_last_row()  # a truncated copy's last record, cut inside a field
        batch = _batch(source_dir, raw, target, mapping)
    return batch, SourceRead(path, len(raw.rows), source.published_rows, raw.cut_line)


def extract(source_dir: Path) -> Extract:
    """Read and convert every mapped export (no database involved)."""
    batches, reads = {}, {}
    for table, mapping in MAPPING.items():
        batches[table], reads[table] = _read_mapped(source_dir, table, mapping)
    return Extract(batches, reads)


# --- loading -------------------------------------------------------------------------------------


def _sim_state(extracted: Extract, seed: int) -> dict[str, str]:
    """The simulator's bookkeeping for this company: its clock is the end of the last order day."""
    order_dates = extracted.batches["sales_order_header"]["order_date"]
    if len(order_dates) == 0:
        raise VeloError("the AdventureWorks exports hold no sales orders; nothing to run on")
    first, last = (v.as_py() for v in (pc.min(order_dates), pc.max(order_dates)))
    now = datetime.combine(last.date(), datetime.max.time()).replace(microsecond=0)
    return {
        SIM_CLOCK_KEY: now.isoformat(),
        "seed": str(seed),
        "scale": "1.0",
        "history_start": first.date().isoformat(),
        SOURCE_KEY: DATASET_NAME,
    }


def _replace_database(url: str, extracted: Extract, state: dict[str, str]) -> dict[str, int]:
    """Replace the operations DB with the extract, all or nothing."""
    with rebuilt_database(url, schema.metadata) as conn:
        load_tables(conn, schema.metadata, extracted.batches.items())
        write_state(conn, state)
        counts = row_counts(conn)
        for name, count in counts.items():
            read = extracted.reads[name]
            if count != read.rows:  # never commit a load that lost rows
                raise VeloError(
                    f"{name}: {count} rows in the database but {read.rows} in {read.path}; "
                    "nothing was loaded"
                )
    return counts


def load_adventureworks(
    settings: Settings, source_dir: Path, ops_url: str | None = None
) -> dict[str, int]:
    """Replace the operations DB with AdventureWorks 2014; rows per table, and what a cut copy
    lacks (``<table>_published`` / ``<table>_missing`` for a known truncated export)."""
    url = ops_url or settings.ops_db_url
    extracted = extract(Path(source_dir))
    counts = _replace_database(url, extracted, _sim_state(extracted, settings.seed))
    report: dict[str, int] = dict(counts)
    for table, read in extracted.reads.items():
        if read.published_rows is not None:
            report[f"{table}_published"] = read.published_rows
            report[f"{table}_missing"] = read.missing
        if read.cut_line is not None:
            report[f"{table}_cut_record_line"] = read.cut_line
    return report


def truncation_notes(report: dict[str, int]) -> list[str]:
    """One line per export that was read short, for people."""
    notes = []
    for table, mapping in MAPPING.items():
        if f"{table}_missing" in report and report[f"{table}_missing"] > 0:
            notes.append(
                f"{mapping.source}: the copy is truncated; loaded the {report[table]} records "
                f"present, {report[f'{table}_missing']} of Microsoft's "
                f"{report[f'{table}_published']} are missing"
            )
        if f"{table}_cut_record_line" in report:
            notes.append(
                f"{mapping.source}: dropped the cut-off record at line "
                f"{report[f'{table}_cut_record_line']}"
            )
    return notes
