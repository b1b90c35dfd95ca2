"""AdventureWorks 2014 loader: a reader per quirk, the mapping, all-or-nothing loads, no loss.

Small exports reproducing each quirk of the shipped files are written into tmp_path; two tests
load the real files (shipped in velo/simulator/datasets/adventureworks-2014) into SQLite and
PostgreSQL.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from velo.cli import app
from velo.errors import VeloError
from velo.simulator import schema
from velo.simulator.adventureworks import (
    MAPPING,
    MICROSOFT_TABLES,
    default_source_dir,
    load_adventureworks,
)
from velo.simulator.aw_readers import read_table
from velo.simulator.bulk import open_engine
from velo.simulator.clock import read_sim_clock

# The dataset ships with the project, as package data of velo.simulator.
REAL_DIR = Path(__file__).resolve().parents[2] / "src/velo/simulator/datasets/adventureworks-2014"
GUID = "{9AADCB0D-36CF-483F-84D8-585C2D4EC6E9}"
SURVEY = "\ufeff<StoreSurvey>\r\n<AnnualSales>800000</AnnualSales>\r\n</StoreSurvey>"


def fields(*records: str) -> list[tuple[str, ...]]:
    """Records written as 'a|b|c' (no fixture value contains a pipe)."""
    return [tuple(record.split("|")) for record in records]


T0 = "2008-04-30 00:00:00"
PRODUCT_TAIL = "4||||1||2011-05-31 00:00:00|||" + GUID + "|2014-02-08 10:01:36.827000000"

# One tiny, consistent company in Microsoft's column order (foreign keys hold, for PostgreSQL).
ROWS: dict[str, list[tuple[str, ...]]] = {
    "CountryRegion": fields(f"US|United States|{T0}", f"DE|Germany|{T0}"),
    "StateProvince": fields(
        f"1|WA |US|0|Washington|1|{GUID}|2014-02-08 10:17:21.587000000",
        f"2|HH |DE|0|Hamburg|8|{GUID}|2014-02-08 10:17:21.587000000",
    ),
    "Address": fields(
        f"1|1970 Napa Ct.||Bothell|1|98011|E6100000010CAE|{GUID}|2007-12-04 00:00:00",
        f"2|Königstraße 12|Hinterhof|Hamburg|2|20354|E6100000010CAF|{GUID}|2013-12-21 10:09:29",
    ),
    "ProductCategory": fields(f"1|Bikes|{GUID}|{T0}"),
    "ProductSubcategory": fields(f"1|1|Mountain Bikes|{GUID}|{T0}"),
    "Product": fields(
        "771|Mountain-100 Silver, 38|BK-M82S-38|1|1|Silver|100|75|1912.1544|3399.99|38|CM |LB |"
        "20.35|" + PRODUCT_TAIL,
        "1|Adjustable Race|AR-5381|0|0||1000|750|0|0|||||" + PRODUCT_TAIL.replace("|1||", "|||"),
    ),
    "ProductListPriceHistory": fields(
        "771|2011-05-31 00:00:00|2012-05-29 00:00:00|3399.99|2012-05-29 00:00:00",
        "771|2012-05-30 00:00:00||3374.99|2012-05-29 00:00:00",
    ),
    "ProductCostHistory": fields("771|2011-05-31 00:00:00||1912.1544|2011-05-17 00:00:00"),
    "Person": fields(
        "1|IN|0||Ken|J|Sánchez||0||\ufeff<IndividualSurvey>\r\n<TotalPurchaseYTD>0"
        f"</TotalPurchaseYTD></IndividualSurvey>|{GUID}|2009-01-07 00:00:00",
        f"2|SC|0|Ms.|Zoë||Müller||1|||{GUID}|2009-01-07 00:00:00",
    ),
    "Store": fields(f"2|Next-Door Bike Store|279|{SURVEY}|{GUID}|2014-09-12 11:15:07.497000000"),
    "Customer": fields(
        f"1|1||1|AW00000001|{GUID}|2014-09-12 11:15:07.263000000",
        f"2|2|2|1|AW00000002|{GUID}|2014-09-12 11:15:07.263000000",
    ),
    "CreditCard": fields("1|SuperiorCard|33332664695310|11|2006|2013-07-29 00:00:00"),
    "SalesReason": fields(f"1|Price|Other|{T0}", f"2|On Promotion|Promotion|{T0}"),
    "SalesOrderHeader": fields(
        "43659|8|2011-05-31 00:00:00|2011-06-12 00:00:00|2011-06-07 00:00:00|5|0|SO43659|"
        "PO522145787|10-4020-000676|2|279|5|2|2|5|1|105041Vi84182||3399.99|271.9992|84.9998|"
        f"3756.9890||{GUID}|2011-06-07 00:00:00",
        "43660|8|2011-06-30 00:00:00|2011-07-12 00:00:00||1|1|SO43660||10-4030-000001|1||1|1|1|"
        f"1||||6799.98|543.9984|169.9995|7513.9779||{GUID}|2011-07-07 00:00:00",
    ),
    "SalesOrderDetail": fields(
        "43659|1|4911-403C-98|1|771|1|3399.99|0.00|3399.99|b207c96d|2011-05-31T05:00:00.0000000Z",
        "43660|2||2|771|1|3399.99|0.00|6799.98|7abb600d|2011-06-30T05:00:00.0000000Z",
        "43660|3||1|1|1|0.00|0.00|0.00|475cf8c6|2011-06-30T05:00:00.0000000Z",
    ),
    "SalesOrderHeaderSalesReason": fields(
        "43659|1|2011-05-31 00:00:00", "43660|2|2011-06-30 00:00:00"
    ),
    "WorkOrder": fields(
        "1|771|8|8|0|03-06-2011|13-06-2011|14-06-2011||13-06-2011",
        "2|771|15|14|1|03-06-2011||14-06-2011|7|13-06-2011",
        "3|1|4|4|0|30-06-2011|09-07-2011|10-07-2011||09-07-2011",
    ),
}

# The shipped files' quirks (see the dataset's README), reproduced per file.
UTF16_TAB = {"encoding": "utf-16-le", "newline": "\r\n"}
UTF16_BCP = {"encoding": "utf-16-le", "fmt": "bcp"}
LAYOUT: dict[str, dict] = {
    "CountryRegion": UTF16_TAB,
    "StateProvince": UTF16_TAB,
    "Address": {"encoding": "cp1252"},
    "Store": UTF16_BCP,
    "Person": {**UTF16_BCP, "header": True, "compress": "gz"},
    "SalesOrderHeader": {"header": True, "pad": 4, "newline": "\r\n", "compress": "gz"},
    "SalesOrderDetail": {"fmt": "comma", "newline": "\r\n", "compress": "zip"},
    "WorkOrder": {"fmt": "comma", "newline": "\r\n", "header": True},
}


def export_bytes(
    name: str,
    rows: list[tuple[str, ...]],
    *,
    fmt: str = "tab",
    encoding: str = "utf-8",
    newline: str = "\n",
    header: bool = False,
    pad: int = 0,
    cut: int = 0,
) -> bytes:
    """The rows as an export with the given quirks (``cut``: drop the last N characters)."""
    records = [tuple(MICROSOFT_TABLES[name].columns)] if header else []
    if header and pad:
        records[0] = (records[0][0], *(" " * pad + c for c in records[0][1:]))
    records += rows
    if fmt == "bcp":
        text = "".join("+|".join(r) + "&|\r\n" for r in records)
    elif fmt == "comma":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=newline).writerows(records)
        text = buffer.getvalue()
    else:
        text = "".join("\t".join(r) + newline for r in records)
    text = text[: len(text) - cut]
    if encoding.startswith("utf-16"):
        text = "\ufeff" + text  # a BOM, as SQL Server writes it
    return text.encode(encoding)


def write_export(directory: Path, name: str, rows: list[tuple[str, ...]], **quirks) -> Path:
    compress = quirks.pop("compress", "")
    data = export_bytes(name, rows, **quirks)
    path = directory / f"{name}.csv"
    if compress == "gz":
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    elif compress == "zip":
        path = path.with_name(path.name + ".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{name}.csv", data)
    else:
        path.write_bytes(data)
    return path


def write_company(directory: Path, **overrides: list[tuple[str, ...]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in ROWS.items():
        write_export(directory, name, overrides.get(name, rows), **LAYOUT.get(name, {}))
    return directory


def ops_rows(url: str, query: str) -> list[tuple]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query))]
    finally:
        engine.dispose()


@pytest.fixture
def company_dir(tmp_path: Path) -> Path:
    return write_company(tmp_path / "aw")


# --- the mapping ----------------------------------------------------------------------------------


def test_mapping_fills_every_column_of_every_company_table():
    assert set(MAPPING) == set(schema.COMPANY_TABLES)
    for table, mapping in MAPPING.items():
        assert set(mapping.columns) == {c.name for c in schema.TABLES[table].columns}
        source = MICROSOFT_TABLES[mapping.source]
        for column, (source_column, _) in mapping.columns.items():
            assert source_column in source.columns and source_column.lower() == column


@pytest.mark.parametrize(
    ("written", "microsoft"),
    [
        ("2011-05-31T05:00:00.0000000Z", datetime(2011, 5, 31)),  # CDT: UTC-5
        ("2013-11-03T05:00:00.0000000Z", datetime(2013, 11, 3)),  # DST ends 2 a.m. that day
        ("2013-11-04T06:00:00.0000000Z", datetime(2013, 11, 4)),  # CST: UTC-6
        ("2014-03-09T06:00:00.0000000Z", datetime(2014, 3, 9)),  # DST starts 2 a.m. that day
        ("2014-03-10T05:00:00.0000000Z", datetime(2014, 3, 10)),
        ("2014-03-10 00:00:00", datetime(2014, 3, 10)),  # no zone: already local
    ],
)
def test_central_time_written_as_utc_is_converted_back(written, microsoft):
    conversion = MAPPING["salesorderdetail"].columns["modifieddate"][1]
    assert conversion.parse(written) == microsoft


# --- readers, one per quirk ----------------------------------------------------------------------

ADDRESS_ROWS = [
    ("1", "Königstraße 12", "", "Hamburg", "2", "20354", "E61", GUID, "2013-12-21 10:09:29"),
    ("2", "8, rue de l'Église", "Bâtiment \"B\"", "Paris", "3", "75002", "E62", GUID,
     "2013-12-21 10:09:29"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("quirks", "encoding", "has_header"),
    [
        (UTF16_BCP, "utf-16-le", False),
        ({**UTF16_BCP, "header": True, "compress": "gz"}, "utf-16-le", True),
        ({"encoding": "utf-16-be", "newline": "\r\n"}, "utf-16-be", False),
        ({"encoding": "utf-8-sig", "fmt": "comma", "header": True}, "utf-8-sig", True),
        ({"encoding": "utf-8"}, "utf-8", False),
        ({"encoding": "cp1252"}, "cp1252", False),
        ({"encoding": "latin-1", "newline": "\r\n"}, "cp1252", False),
        ({"fmt": "comma", "encoding": "utf-8", "compress": "zip"}, "utf-8", False),
        ({"header": True, "pad": 4, "newline": "\r\n", "compress": "gz", "encoding": "utf-8"},
         "utf-8", True),
    ],
    ids=["utf16-bom-bcp", "gzip-utf16-bcp-header", "utf16be-bom-tab-crlf", "utf8-bom-csv-header",
         "utf8-tab", "cp1252-tab", "latin1-tab", "zip-csv", "gzip-tab-padded-header"],
)  # fmt: skip
def test_reader_reads_each_quirk(tmp_path, quirks, encoding, has_header):
    path = write_export(tmp_path, "Address", ADDRESS_ROWS, **quirks)
    table = read_table(path, MICROSOFT_TABLES["Address"].columns)
    assert table.columns == MICROSOFT_TABLES["Address"].columns  # padded header names are stripped
    assert table.rows == [list(r) for r in ADDRESS_ROWS]
    assert (table.encoding, table.has_header) == (encoding, has_header)
    assert table.lines == ([2, 3] if has_header else [1, 2])


def test_bcp_fields_may_hold_newlines_and_stray_byte_order_marks(tmp_path):
    path = write_export(tmp_path, "Store", ROWS["Store"] * 2, fmt="bcp", encoding="utf-16-le")
    table = read_table(path, MICROSOFT_TABLES["Store"].columns)
    assert table.rows[0][3] == SURVEY.removeprefix("\ufeff")
    assert table.lines == [1, 4]  # the second record starts after the first's two inner newlines


def test_utf16_without_byte_order_mark_is_recognised(tmp_path):
    path = tmp_path / "SalesReason.csv"
    path.write_bytes("1\tPrice\tOther\t2008-04-30 00:00:00\n".encode("utf-16-le"))
    table = read_table(path, MICROSOFT_TABLES["SalesReason"].columns)
    assert table.rows == [["1", "Price", "Other", "2008-04-30 00:00:00"]]


# --- unreadable input: one error naming the file and the line -----------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("Address.csv", export_bytes("Address", ADDRESS_ROWS) + b"3\tonly\tthree\n",
         "Address.csv: line 3: 3 fields where 9 were expected"),
        ("Store.csv", export_bytes("Store", ROWS["Store"] + [("9", "x")], fmt="bcp",
                                   encoding="utf-16-le"),
         "Store.csv: line 4: 2 fields where 6 were expected"),
        ("CountryRegion.csv", "\ufeffUS\tUS\tx\r\nDE\tGer".encode("utf-16-le") + b"\x00\xd8",
         "CountryRegion.csv: line 2: bytes that are not valid utf-16-le"),
        ("Customer.csv.gz", gzip.compress(b"1\t1\t\t1\tAW1\tg\t2014-01-01\n")[:-9],
         "Customer.csv.gz: corrupt or cut-off compressed file"),
        ("SalesOrderDetail.csv.zip", b"PK\x03\x04garbage", "SalesOrderDetail.csv.zip: corrupt"),
        ("Address.csv", export_bytes("Address", ADDRESS_ROWS, cut=30),
         "Address.csv: line 2: the file ends inside a record"),
    ],
    ids=["field-count", "bcp-field-count-after-multiline", "bad-utf16", "cut-gzip", "bad-zip",
         "cut-record"],
)  # fmt: skip
def test_unreadable_export_names_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    table = name.split(".")[0]
    with pytest.raises(VeloError, match=message.replace("(", r"\(")):
        read_table(path, MICROSOFT_TABLES[table].columns)


def test_bad_value_names_file_line_and_column(settings, company_dir):
    second = list(ROWS["SalesOrderHeader"][1])
    second[2] = "2011-13-45"  # OrderDate
    bad = [ROWS["SalesOrderHeader"][0], tuple(second)]
    write_export(company_dir, "SalesOrderHeader", bad, **LAYOUT["SalesOrderHeader"])
    with pytest.raises(VeloError, match=r"SalesOrderHeader.csv.gz: line 3: OrderDate '2011-13-45'"):
        load_adventureworks(settings, company_dir)
    assert not Path(settings.ops_db_url.removeprefix("sqlite:///")).exists()


def test_header_without_a_mapped_column_is_an_error(settings, company_dir):
    (company_dir / "WorkOrder.csv").write_text("WorkOrderID,ProductID,Qty\n1,771,8\n")
    with pytest.raises(
        VeloError, match=r"WorkOrder.csv: line 1: the header has no column OrderQty"
    ):
        load_adventureworks(settings, company_dir)


def test_missing_required_value_is_an_error(settings, company_dir):
    write_export(company_dir, "CreditCard", [("1", "SuperiorCard", "", "11", "2006", "")])
    with pytest.raises(VeloError, match=r"CreditCard.csv: line 1: CardNumber '' is empty"):
        load_adventureworks(settings, company_dir)


# --- loading --------------------------------------------------------------------------------------


def test_loads_every_table_with_its_quirks(settings, company_dir):
    report = load_adventureworks(settings, company_dir)

    for table, mapping in MAPPING.items():
        assert report[table] == len(ROWS[mapping.source]), table
    assert report["workorder_missing"] == 72_591 - 3
    url = settings.ops_db_url
    assert ops_rows(url, "select stateprovincecode from stateprovince order by 1") == [
        ("HH ",),
        ("WA ",),  # nchar(3) padding kept, as in AdventureWorks (staging trims it)
    ]
    assert ops_rows(url, "select addressline1, addressline2 from address where addressid = 2") == [
        ("Königstraße 12", "Hinterhof")
    ]
    assert ops_rows(url, "select firstname, lastname from person order by 1") == [
        ("Ken", "Sánchez"), ("Zoë", "Müller")
    ]  # fmt: skip
    engine = open_engine(url)
    with engine.connect() as conn:
        soh = conn.execute(sa.select(schema.sales_order_header).order_by("salesorderid")).all()
        wo = conn.execute(sa.select(schema.work_order).order_by("workorderid")).all()
        sod = conn.execute(sa.select(schema.sales_order_detail)).all()
    engine.dispose()
    assert [(o.onlineorderflag, o.shipdate, o.creditcardid) for o in soh] == [
        (False, datetime(2011, 6, 7), 1), (True, None, None)
    ]  # fmt: skip
    assert [o.totaldue for o in soh] == [Decimal("3756.9890"), Decimal("7513.9779")]
    assert (wo[0].startdate, wo[0].enddate, wo[1].enddate) == (
        datetime(2011, 6, 3), datetime(2011, 6, 13), None
    )  # fmt: skip
    # US Central midnight written as UTC (...T05:00Z in summer) is Microsoft's OrderDate again
    assert {d.modifieddate for d in sod} == {datetime(2011, 5, 31), datetime(2011, 6, 30)}
    assert read_sim_clock(settings.ops_db_url) == datetime(2011, 6, 30, 23, 59, 59)


@pytest.mark.parametrize("cut", [3, 25], ids=["inside-last-field", "missing-fields"])
def test_truncated_work_orders_load_what_is_there_and_report_the_cut(settings, company_dir, cut):
    write_export(company_dir, "WorkOrder", ROWS["WorkOrder"], **LAYOUT["WorkOrder"], cut=cut)
    report = load_adventureworks(settings, company_dir)
    assert report["workorder"] == 2
    assert report["workorder_cut_record_line"] == 4
    assert report["workorder_missing"] == 72_591 - 2
    ids = ops_rows(settings.ops_db_url, "select workorderid from workorder order by 1")
    assert ids == [(1,), (2,)]


def test_failed_load_leaves_the_previous_database(settings, company_dir, tmp_path):
    load_adventureworks(settings, company_dir)
    broken = write_company(tmp_path / "broken", SalesReason=ROWS["SalesReason"] * 2)
    with pytest.raises(VeloError, match=r"nothing was loaded.*UNIQUE constraint failed"):
        load_adventureworks(settings, broken)
    assert ops_rows(settings.ops_db_url, "select count(*) from salesreason") == [(2,)]
    assert [p.name for p in settings.data_dir.iterdir()] == ["ops.db"]


def test_postgres_load_is_one_transaction(settings, company_dir, tmp_path, pg_url):
    load_adventureworks(settings, company_dir, pg_url)
    orphan = ROWS["SalesOrderDetail"] + fields("43660|9||1|999|1|1.00|0|1.00|x|2011-06-30")
    broken = write_company(tmp_path / "broken", SalesOrderDetail=orphan)
    with pytest.raises(VeloError, match=r"nothing was loaded.*foreign key"):
        load_adventureworks(settings, broken, pg_url)
    assert ops_rows(pg_url, "select count(*) from salesorderdetail") == [(3,)]
    assert ops_rows(pg_url, "select value from sim_state where key = 'now'") == [
        ("2011-06-30T23:59:59",)
    ]


def test_cli_loads_and_reports(data_dir, company_dir):
    runner = CliRunner()
    result = runner.invoke(app, ["sim", "load-adventureworks", "--from", str(company_dir)])
    assert result.exit_code == 0, result.output
    assert "salesorderdetail" in result.output
    assert "WorkOrder: the copy is truncated; loaded the 3 records present" in result.output
    result = runner.invoke(app, ["sim", "load-adventureworks", "--from", str(data_dir)])
    assert result.exit_code == 1
    assert "no export of AdventureWorks table CountryRegion" in result.output


def test_default_source_dir_is_the_shipped_dataset():
    assert default_source_dir() == REAL_DIR
    assert {"README.md", "LICENSE"} <= {p.name for p in REAL_DIR.iterdir()}


# --- the real files: no loss ---------------------------------------------------------------------

# Record counts as published in the dataset's README (WorkOrder: the truncated copy).
REAL_COUNTS = {
    "CountryRegion": 238, "StateProvince": 181, "Address": 19614, "ProductCategory": 4,
    "ProductSubcategory": 37, "Product": 504, "ProductListPriceHistory": 395,
    "ProductCostHistory": 395, "Person": 19972, "Store": 701, "Customer": 19820,
    "CreditCard": 19118, "SalesOrderHeader": 31465, "SalesOrderDetail": 121317,
    "WorkOrder": 65535,
}  # fmt: skip
WITH_HEADER = ("Person", "SalesOrderHeader", "WorkOrder")


def raw_records(name: str) -> list[list[str]]:
    """The export's records by the plainest parse that fits the shipped files (independent of the
    loader's detection)."""
    (path,) = REAL_DIR.glob(f"{name}.csv*")
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            data = archive.read(archive.namelist()[0])
    text = data.decode("utf-16") if data[:2] == b"\xff\xfe" else data.decode("cp1252")
    if "&|" in text:
        records = [r.split("+|") for r in text.split("&|\r\n") if r]
    else:
        separator = "," if name in ("SalesOrderDetail", "WorkOrder") else "\t"
        records = [line.rstrip("\r").split(separator) for line in text.split("\n") if line]
    return records[1:] if name in WITH_HEADER else records


def raw_line_totals_by_month() -> dict[str, Decimal]:
    month = {r[0]: r[2][:7] for r in raw_records("SalesOrderHeader")}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for record in raw_records("SalesOrderDetail"):
        # Microsoft's LineTotal definition, from the export's own fields
        qty, price, discount = int(record[3]), Decimal(record[6]), Decimal(record[7])
        totals[month[record[0]]] += price * (1 - discount) * qty
    return dict(totals)


def loaded_line_totals_by_month(url: str) -> dict[str, Decimal]:
    detail = schema.sales_order_detail
    query = sa.select(
        schema.sales_order_header.c.orderdate,
        detail.c.unitprice * (1 - detail.c.unitpricediscount) * detail.c.orderqty,
    ).join_from(detail, schema.sales_order_header)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    engine = open_engine(url)
    with engine.connect() as conn:
        for orderdate, line_total in conn.execute(query):
            totals[f"{orderdate:%Y-%m}"] += Decimal(str(line_total))
    engine.dispose()
    return dict(totals)


def assert_no_loss(report: dict[str, int], url: str) -> None:
    for table, mapping in MAPPING.items():
        raw_count = len(raw_records(mapping.source))
        assert raw_count == REAL_COUNTS.get(mapping.source, raw_count), mapping.source
        assert report[table] == raw_count, table
        in_db = ops_rows(url, f"select count(*) from {table}")[0][0]
        assert in_db == raw_count, table
    assert (report["workorder_published"], report["workorder_missing"]) == (72_591, 7_056)
    # Microsoft's SalesOrderDetail.ModifiedDate is the order's OrderDate (the copy's quirk undone)
    mismatched = ops_rows(
        url,
        "select count(*) from salesorderdetail d join salesorderheader h "
        "on h.salesorderid = d.salesorderid where d.modifieddate <> h.orderdate",
    )
    assert mismatched == [(0,)]
    expected = raw_line_totals_by_month()
    assert len(expected) == 38  # 2011-05 .. 2014-06
    assert loaded_line_totals_by_month(url) == expected


def test_real_adventureworks_into_sqlite(settings):
    report = load_adventureworks(settings, REAL_DIR)
    assert_no_loss(report, settings.ops_db_url)
    assert read_sim_clock(settings.ops_db_url) == datetime(2014, 6, 30, 23, 59, 59)


def test_real_adventureworks_into_postgres(settings, pg_url):
    report = load_adventureworks(settings, REAL_DIR, pg_url)
    assert_no_loss(report, pg_url)
    assert read_sim_clock(pg_url) == datetime(2014, 6, 30, 23, 59, 59)


def test_tick_refuses_real_data_in_one_line(data_dir, company_dir):
    runner = CliRunner()
    loaded = runner.invoke(app, ["sim", "load-adventureworks", "--from", str(company_dir)])
    assert loaded.exit_code == 0, loaded.output
    url = f"sqlite:///{data_dir / 'ops.db'}"
    before = {t: ops_rows(url, f"select * from {t}") for t in (*MAPPING, "sim_state")}

    result = runner.invoke(app, ["sim", "tick", "--days", "2"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: the operations DB at {data_dir / 'ops.db'} holds real data loaded from "
        "adventureworks-2014; `velo sim tick` only advances the simulated company"
    ]
    assert {t: ops_rows(url, f"select * from {t}") for t in before} == before
