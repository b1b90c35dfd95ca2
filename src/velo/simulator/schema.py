"""The operations database schema of Velo Cycles (AdventureWorks-style, snake_case).

SQLAlchemy Core, so the same definitions create the database on SQLite and PostgreSQL.
Every table has a primary key and a ``modified_date`` that changes whenever its row changes:
incremental extraction depends on both.
"""

from __future__ import annotations

from sqlalchemy import (
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

metadata = MetaData()

MONEY = Numeric(19, 4)

# Order status codes, as in AdventureWorks' Sales.SalesOrderHeader.Status.
ORDER_STATUS = {
    1: "in_process",
    2: "approved",
    3: "backordered",
    4: "rejected",
    5: "shipped",
    6: "cancelled",
}


def _modified_date() -> Column:
    return Column("modified_date", DateTime, nullable=False, index=True)


country_region = Table(
    "country_region",
    metadata,
    Column("country_region_code", String(3), primary_key=True),
    Column("name", String(50), nullable=False),
    _modified_date(),
)

state_province = Table(
    "state_province",
    metadata,
    Column("state_province_id", Integer, primary_key=True, autoincrement=False),
    Column("state_province_code", String(3), nullable=False),
    Column(
        "country_region_code",
        String(3),
        ForeignKey("country_region.country_region_code"),
        nullable=False,
    ),
    Column("name", String(50), nullable=False),
    _modified_date(),
)

address = Table(
    "address",
    metadata,
    Column("address_id", Integer, primary_key=True, autoincrement=False),
    Column("address_line1", String(60), nullable=False),
    Column("address_line2", String(60)),
    Column("city", String(30), nullable=False),
    Column(
        "state_province_id", Integer, ForeignKey("state_province.state_province_id"), nullable=False
    ),
    Column("postal_code", String(15), nullable=False),
    _modified_date(),
)

product_category = Table(
    "product_category",
    metadata,
    Column("product_category_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(50), nullable=False),
    _modified_date(),
)

product_subcategory = Table(
    "product_subcategory",
    metadata,
    Column("product_subcategory_id", Integer, primary_key=True, autoincrement=False),
    Column(
        "product_category_id",
        Integer,
        ForeignKey("product_category.product_category_id"),
        nullable=False,
    ),
    Column("name", String(50), nullable=False),
    _modified_date(),
)

product = Table(
    "product",
    metadata,
    Column("product_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(50), nullable=False),
    Column("product_number", String(25), nullable=False),
    Column("color", String(15)),
    Column("size", String(5)),
    Column(
        "product_subcategory_id", Integer, ForeignKey("product_subcategory.product_subcategory_id")
    ),
    Column("standard_cost", MONEY, nullable=False),
    Column("list_price", MONEY, nullable=False),
    Column("sell_start_date", DateTime, nullable=False),
    Column("sell_end_date", DateTime),
    _modified_date(),
)

product_list_price_history = Table(
    "product_list_price_history",
    metadata,
    Column("product_id", Integer, ForeignKey("product.product_id"), primary_key=True),
    Column("start_date", DateTime, primary_key=True),
    Column("end_date", DateTime),
    Column("list_price", MONEY, nullable=False),
    _modified_date(),
)

product_cost_history = Table(
    "product_cost_history",
    metadata,
    Column("product_id", Integer, ForeignKey("product.product_id"), primary_key=True),
    Column("start_date", DateTime, primary_key=True),
    Column("end_date", DateTime),
    Column("standard_cost", MONEY, nullable=False),
    _modified_date(),
)

person = Table(
    "person",
    metadata,
    Column("business_entity_id", Integer, primary_key=True, autoincrement=False),
    Column("person_type", String(2), nullable=False),  # IN individual, SC store contact
    Column("first_name", String(50), nullable=False),
    Column("last_name", String(50), nullable=False),
    Column("email_address", String(50)),
    _modified_date(),
)

store = Table(
    "store",
    metadata,
    Column("business_entity_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(50), nullable=False),
    _modified_date(),
)

customer = Table(
    "customer",
    metadata,
    Column("customer_id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", Integer, ForeignKey("person.business_entity_id")),
    Column("store_id", Integer, ForeignKey("store.business_entity_id")),
    Column("account_number", String(10), nullable=False),
    _modified_date(),
)

credit_card = Table(
    "credit_card",
    metadata,
    Column("credit_card_id", Integer, primary_key=True, autoincrement=False),
    Column("card_type", String(50), nullable=False),
    Column("card_number", String(25), nullable=False),
    Column("exp_month", SmallInteger, nullable=False),
    Column("exp_year", SmallInteger, nullable=False),
    _modified_date(),
)

sales_reason = Table(
    "sales_reason",
    metadata,
    Column("sales_reason_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(50), nullable=False),
    Column("reason_type", String(50), nullable=False),
    _modified_date(),
)

sales_order_header = Table(
    "sales_order_header",
    metadata,
    Column("sales_order_id", Integer, primary_key=True, autoincrement=False),
    Column("revision_number", SmallInteger, nullable=False),
    Column("order_date", DateTime, nullable=False, index=True),
    Column("due_date", DateTime, nullable=False),
    Column("ship_date", DateTime),
    Column("status", SmallInteger, nullable=False),
    Column("online_order_flag", Boolean, nullable=False),
    Column("sales_order_number", String(25), nullable=False),
    Column("customer_id", Integer, ForeignKey("customer.customer_id"), nullable=False),
    Column("bill_to_address_id", Integer, ForeignKey("address.address_id"), nullable=False),
    Column("ship_to_address_id", Integer, ForeignKey("address.address_id"), nullable=False),
    Column("credit_card_id", Integer, ForeignKey("credit_card.credit_card_id")),
    Column("sub_total", MONEY, nullable=False),
    Column("tax_amt", MONEY, nullable=False),
    Column("freight", MONEY, nullable=False),
    Column("total_due", MONEY, nullable=False),
    _modified_date(),
)

sales_order_detail = Table(
    "sales_order_detail",
    metadata,
    Column("sales_order_detail_id", Integer, primary_key=True, autoincrement=False),
    Column(
        "sales_order_id",
        Integer,
        ForeignKey("sales_order_header.sales_order_id"),
        nullable=False,
        index=True,
    ),
    Column("order_qty", SmallInteger, nullable=False),
    Column("product_id", Integer, ForeignKey("product.product_id"), nullable=False),
    Column("unit_price", MONEY, nullable=False),
    Column("unit_price_discount", MONEY, nullable=False),
    Column("line_total", MONEY, nullable=False),
    _modified_date(),
)

sales_order_header_sales_reason = Table(
    "sales_order_header_sales_reason",
    metadata,
    Column(
        "sales_order_id", Integer, ForeignKey("sales_order_header.sales_order_id"), primary_key=True
    ),
    Column(
        "sales_reason_id", Integer, ForeignKey("sales_reason.sales_reason_id"), primary_key=True
    ),
    _modified_date(),
)

work_order = Table(
    "work_order",
    metadata,
    Column("work_order_id", Integer, primary_key=True, autoincrement=False),
    Column("product_id", Integer, ForeignKey("product.product_id"), nullable=False),
    Column("order_qty", Integer, nullable=False),
    Column("stocked_qty", Integer, nullable=False),
    Column("scrapped_qty", SmallInteger, nullable=False),
    Column("start_date", DateTime, nullable=False),
    Column("end_date", DateTime),
    Column("due_date", DateTime, nullable=False),
    _modified_date(),
)

# The simulator's own bookkeeping (its clock and RNG position); not part of the company's data,
# so ingestion never reads it.
sim_state = Table(
    "sim_state",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
)

# Small reference tables: extracted in full and replaced. Everything else changes and is
# extracted incrementally on modified_date and merged on the primary key.
REFERENCE_TABLES = (
    "country_region",
    "state_province",
    "product_category",
    "product_subcategory",
    "sales_reason",
)
CHANGING_TABLES = (
    "address",
    "person",
    "store",
    "customer",
    "credit_card",
    "product",
    "product_list_price_history",
    "product_cost_history",
    "sales_order_header",
    "sales_order_detail",
    "sales_order_header_sales_reason",
    "work_order",
)
COMPANY_TABLES = REFERENCE_TABLES + CHANGING_TABLES
