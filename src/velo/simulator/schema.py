"""The operations database of Velo Cycles, in AdventureWorks' own layout.

The tables the platform reads (:data:`velo.ingest.contract.ADVENTUREWORKS`), with the same names,
schemas, primary keys and types as AdventureWorks-for-Postgres creates them: schemas person,
production and sales on PostgreSQL, lower-case names (``sales.salesorderheader(salesorderid,
orderdate, ..., modifieddate)``). Only the columns the platform reads are created; Microsoft's
computed columns (AccountNumber, SalesOrderNumber, LineTotal, StockedQty) are absent, as
AdventureWorks-for-Postgres drops them.

SQLite has no schemas: there the same tables are unqualified (:func:`engine_options` maps the
schemas away); their names are unique across the schemas. SQLAlchemy Core, so one definition
creates the database on both. Every table has a primary key and a ``modifieddate`` that changes
whenever its row changes: incremental extraction depends on both.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    CHAR,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
)

from velo.ingest.contract import ADVENTUREWORKS_TABLES

metadata = MetaData()

# AdventureWorks' money columns: numeric (unbounded) in AdventureWorks-for-Postgres.
MONEY = Numeric()
SCHEMAS = sorted({table.schema for table in ADVENTUREWORKS_TABLES.values() if table.schema})
# SQLite: every schema maps to the one unqualified namespace.
SQLITE_SCHEMA_MAP: dict[str | None, str | None] = dict.fromkeys(SCHEMAS)

# Order status codes, as in AdventureWorks' Sales.SalesOrderHeader.Status.
ORDER_STATUS = {
    1: "in_process",
    2: "approved",
    3: "backordered",
    4: "rejected",
    5: "shipped",
    6: "cancelled",
}


def _company_table(name: str, *columns: Column) -> Table:
    """A table of the contract: its schema and primary key are the contract's."""
    entry = ADVENTUREWORKS_TABLES[name]
    for column in columns:
        if column.name in entry.primary_key:
            column.primary_key = True
            column.nullable = False
            column.autoincrement = False
    modified = Column("modifieddate", DateTime, nullable=False, index=True)
    return Table(name, metadata, *columns, modified, schema=entry.schema)


def _ref(qualified_column: str) -> ForeignKey:
    """A foreign key to ``table.column``, qualified with the table's schema."""
    table, column = qualified_column.split(".")
    return ForeignKey(f"{ADVENTUREWORKS_TABLES[table].qualified_name}.{column}")


def engine_options(url: str) -> dict[str, Any]:
    """create_engine options for the operations DB: SQLite maps the schemas away; PostgreSQL
    puts them on the search path, so plain SQL finds the tables by their bare names too."""
    backend = sa.engine.make_url(url).get_backend_name()
    if backend == "sqlite":
        return {"execution_options": {"schema_translate_map": SQLITE_SCHEMA_MAP}}
    if backend == "postgresql":
        # public first: unqualified tables (sim_state) are created there, as on any connection
        search_path = ",".join(["public", *SCHEMAS])
        return {"connect_args": {"options": f"-csearch_path={search_path}"}}
    return {}


country_region = _company_table(
    "countryregion",
    Column("countryregioncode", String(3)),
    Column("name", String(50), nullable=False),
)

state_province = _company_table(
    "stateprovince",
    Column("stateprovinceid", Integer),
    Column("stateprovincecode", CHAR(3), nullable=False),
    Column("countryregioncode", String(3), _ref("countryregion.countryregioncode"), nullable=False),
    Column("name", String(50), nullable=False),
)

address = _company_table(
    "address",
    Column("addressid", Integer),
    Column("addressline1", String(60), nullable=False),
    Column("addressline2", String(60)),
    Column("city", String(30), nullable=False),
    Column("stateprovinceid", Integer, _ref("stateprovince.stateprovinceid"), nullable=False),
    Column("postalcode", String(15), nullable=False),
)

product_category = _company_table(
    "productcategory",
    Column("productcategoryid", Integer),
    Column("name", String(50), nullable=False),
)

product_subcategory = _company_table(
    "productsubcategory",
    Column("productsubcategoryid", Integer),
    Column("productcategoryid", Integer, _ref("productcategory.productcategoryid"), nullable=False),
    Column("name", String(50), nullable=False),
)

product = _company_table(
    "product",
    Column("productid", Integer),
    Column("name", String(50), nullable=False),
    Column("productnumber", String(25), nullable=False),
    Column("color", String(15)),
    Column("size", String(5)),
    Column("productsubcategoryid", Integer, _ref("productsubcategory.productsubcategoryid")),
    Column("standardcost", MONEY, nullable=False),
    Column("listprice", MONEY, nullable=False),
    Column("sellstartdate", DateTime, nullable=False),
    Column("sellenddate", DateTime),
)

product_list_price_history = _company_table(
    "productlistpricehistory",
    Column("productid", Integer, _ref("product.productid")),
    Column("startdate", DateTime),
    Column("enddate", DateTime),
    Column("listprice", MONEY, nullable=False),
)

product_cost_history = _company_table(
    "productcosthistory",
    Column("productid", Integer, _ref("product.productid")),
    Column("startdate", DateTime),
    Column("enddate", DateTime),
    Column("standardcost", MONEY, nullable=False),
)

person = _company_table(
    "person",
    Column("businessentityid", Integer),
    Column("persontype", CHAR(2), nullable=False),  # IN individual, SC store contact
    Column("firstname", String(50), nullable=False),
    Column("lastname", String(50), nullable=False),
)

store = _company_table(
    "store",
    Column("businessentityid", Integer),
    Column("name", String(50), nullable=False),
)

customer = _company_table(
    "customer",
    Column("customerid", Integer),
    Column("personid", Integer, _ref("person.businessentityid")),
    Column("storeid", Integer, _ref("store.businessentityid")),
)

credit_card = _company_table(
    "creditcard",
    Column("creditcardid", Integer),
    Column("cardtype", String(50), nullable=False),
    Column("cardnumber", String(25), nullable=False),
    Column("expmonth", SmallInteger, nullable=False),
    Column("expyear", SmallInteger, nullable=False),
)

sales_reason = _company_table(
    "salesreason",
    Column("salesreasonid", Integer),
    Column("name", String(50), nullable=False),
    Column("reasontype", String(50), nullable=False),
)

sales_order_header = _company_table(
    "salesorderheader",
    Column("salesorderid", Integer),
    Column("revisionnumber", SmallInteger, nullable=False),
    Column("orderdate", DateTime, nullable=False, index=True),
    Column("duedate", DateTime, nullable=False),
    Column("shipdate", DateTime),
    Column("status", SmallInteger, nullable=False),
    Column("onlineorderflag", Boolean, nullable=False),
    Column("customerid", Integer, _ref("customer.customerid"), nullable=False),
    Column("billtoaddressid", Integer, _ref("address.addressid"), nullable=False),
    Column("shiptoaddressid", Integer, _ref("address.addressid"), nullable=False),
    Column("creditcardid", Integer, _ref("creditcard.creditcardid")),
    Column("subtotal", MONEY, nullable=False),
    Column("taxamt", MONEY, nullable=False),
    Column("freight", MONEY, nullable=False),
    Column("totaldue", MONEY, nullable=False),
)

sales_order_detail = _company_table(
    "salesorderdetail",
    Column("salesorderid", Integer, _ref("salesorderheader.salesorderid")),
    Column("salesorderdetailid", Integer),
    Column("orderqty", SmallInteger, nullable=False),
    Column("productid", Integer, _ref("product.productid"), nullable=False),
    Column("unitprice", MONEY, nullable=False),
    Column("unitpricediscount", MONEY, nullable=False),
)

sales_order_header_sales_reason = _company_table(
    "salesorderheadersalesreason",
    Column("salesorderid", Integer, _ref("salesorderheader.salesorderid")),
    Column("salesreasonid", Integer, _ref("salesreason.salesreasonid")),
)

work_order = _company_table(
    "workorder",
    Column("workorderid", Integer),
    Column("productid", Integer, _ref("product.productid"), nullable=False),
    Column("orderqty", Integer, nullable=False),
    Column("scrappedqty", SmallInteger, nullable=False),
    Column("startdate", DateTime, nullable=False),
    Column("enddate", DateTime),
    Column("duedate", DateTime, nullable=False),
)

# The lookups a simulated day makes, indexed as the application behind an operations database
# indexes its own queries: the next order line id (salesorderdetailid is the primary key's second
# column), the work orders still running and the orders still open. Without them a day at
# scale 100 scans 11 M order lines and 7 M work orders.
RUNNING_WORK_ORDER = work_order.c.enddate.is_(None)
OPEN_ORDER = sales_order_header.c.status.in_((1, 2, 3))
sa.Index("ix_sales_salesorderdetail_salesorderdetailid", sales_order_detail.c.salesorderdetailid)
sa.Index(
    "ix_production_workorder_running",
    work_order.c.workorderid,
    sqlite_where=RUNNING_WORK_ORDER,
    postgresql_where=RUNNING_WORK_ORDER,
)
sa.Index(
    "ix_sales_salesorderheader_open",
    sales_order_header.c.orderdate,
    sqlite_where=OPEN_ORDER,
    postgresql_where=OPEN_ORDER,
)

# The simulator's own bookkeeping (its clock, seed and the company's creation marker); not part
# of the company's data, so ingestion never reads it as a table. Unqualified on every database.
sim_state = Table(
    "sim_state",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
)

COMPANY_TABLES = tuple(ADVENTUREWORKS_TABLES)
# Tables by their (unqualified) name; metadata.tables keys carry the schema.
TABLES = {table.name: table for table in metadata.tables.values()}
