"""Load Microsoft's AdventureWorks 2014 OLTP exports into the operations database.

`velo sim load-adventureworks` loads the real sample company into the native AdventureWorks
tables the platform reads (:mod:`velo.simulator.schema`: the layout AdventureWorks-for-Postgres
creates), so the whole platform runs on it unchanged.

``MICROSOFT_TABLES`` holds Microsoft's table definitions (column order, for header-less exports).
``MAPPING`` fills every native column from the export's column of the same name (the native names
are Microsoft's, lower case), converted to the column's type. The readers
(:mod:`velo.simulator.aw_readers`) handle the files' quirks. Decisions:

- values are kept as Microsoft wrote them (``StateProvinceCode``'s ``nchar(3)`` padding
  included: dbt staging trims it, as it must for a real AdventureWorks database);
- datetimes keep whole seconds; SalesOrderDetail's ``...Z`` values are US Central local time
  written as UTC and are converted back (see ``QUIRKS``);
- ``dd-mm-yyyy`` dates (WorkOrder) are read day first;
- an empty field is NULL; a NULL in a NOT NULL column is an error naming the file and line.

Every file is read and converted before the database is touched; the load itself is one
transaction (PostgreSQL) or a database built beside the target and swapped in (SQLite), so a
failure leaves the previous operations DB as it was.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from velo.errors import UsageError, VeloError
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.aw_readers import RawTable, find_table_file, read_table
from velo.simulator.bulk import load_tables, rebuilt_database
from velo.simulator.clock import SIM_CLOCK_KEY
from velo.simulator.company import SOURCE_KEY, creation_marker, row_counts, write_state

DATASET_NAME = "adventureworks-2014"
DATASET_DIR = Path(__file__).resolve().parent / "datasets" / DATASET_NAME


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


MICROSOFT_TABLES = {
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


# Microsoft's local time, which a UTC-suffixed export shifted by its UTC offset.
US_CENTRAL = ZoneInfo("America/Chicago")


def _central_as_utc_to_local(raw: str) -> datetime:
    """A US Central local time written as UTC (``...Z``) back to Microsoft's local value.

    SalesOrderDetail's copy writes Microsoft's local midnight as UTC: +5 h in daylight-saving
    months, +6 h November to March. Converted with the US daylight-saving rules it is the local
    midnight again, equal to the order's OrderDate (as in Microsoft's database).
    """
    moment = _to_datetime(raw)
    if not raw.rstrip().endswith("Z"):
        return moment
    return moment.replace(tzinfo=UTC).astimezone(US_CENTRAL).replace(tzinfo=None)


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
MONEY = Conversion("amount", pa.float64(), _to_money)
DATETIME = Conversion("date/time", pa.timestamp("s"), _to_datetime)
FLAG = Conversion("flag", pa.bool_(), _to_flag)
CENTRAL_DATETIME = Conversion("date/time", pa.timestamp("s"), _central_as_utc_to_local)


# --- the mapping: every native column from the source column of the same name ------------------


@dataclass(frozen=True)
class TableMapping:
    """A native table filled from the Microsoft export of the same name."""

    source: str
    columns: dict[str, tuple[str, Conversion]]


def _conversion(column: sa.Column) -> Conversion:
    """How an export's text becomes a value of the native column's type."""
    if isinstance(column.type, sa.Boolean):
        return FLAG
    if isinstance(column.type, sa.Integer):
        return INT
    if isinstance(column.type, sa.Numeric):
        return MONEY
    if isinstance(column.type, sa.DateTime):
        return DATETIME
    return TEXT


# Columns whose export differs from Microsoft's values (see the dataset's README).
QUIRKS: dict[tuple[str, str], Conversion] = {
    ("salesorderdetail", "modifieddate"): CENTRAL_DATETIME,
}


def _mapping(table: sa.Table) -> TableMapping:
    source = next(name for name in MICROSOFT_TABLES if name.lower() == table.name)
    by_lower = {column.lower(): column for column in MICROSOFT_TABLES[source].columns}
    return TableMapping(
        source,
        {
            column.name: (
                by_lower[column.name],
                QUIRKS.get((table.name, column.name)) or _conversion(column),
            )
            for column in table.columns
        },
    )


MAPPING: dict[str, TableMapping] = {
    name: _mapping(schema.TABLES[name]) for name in schema.COMPANY_TABLES
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


def default_source_dir() -> Path:
    """The AdventureWorks 2014 dataset shipped with the package."""
    if not DATASET_DIR.is_dir():
        raise UsageError(f"no AdventureWorks 2014 files at {DATASET_DIR}; pass --from DIR")
    return DATASET_DIR


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


def _batch(source_dir: Path, raw: RawTable, target: sa.Table, mapping: TableMapping) -> dict:
    batch: dict[str, pa.Array] = {}
    for name, (column, conversion) in mapping.columns.items():
        values = _convert_column(raw, column, conversion, target.c[name])
        batch[name] = pa.array(values, type=conversion.arrow_type)
    return batch


def _read_mapped(source_dir: Path, table: str, mapping: TableMapping) -> tuple[dict, SourceRead]:
    source = MICROSOFT_TABLES[mapping.source]
    path = _source_file(source_dir, source.name)
    raw = read_table(path, source.columns, allow_cut=source.truncated_copy)
    target = schema.TABLES[table]
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
    order_dates = extracted.batches["salesorderheader"]["orderdate"]
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
        write_state(conn, {**state, **creation_marker()})
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
