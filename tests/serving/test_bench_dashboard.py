"""`velo bench dashboard`: its star-join baseline answers exactly what the OBT queries answer."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from velo.bench import BENCHMARKS
from velo.bench import dashboard as bench
from velo.serving import metrics as m


def test_star_join_queries_equal_the_obt_queries(tmp_path: Path) -> None:
    settings = bench.build_serving(tmp_path, 0.02)
    con = duckdb.connect(str(settings.serving_path))
    con.execute(bench.STAR_DDL)
    catalog = m.load_catalog()
    compared = 0
    for query in bench.PAGE_QUERIES:
        _, compiled = catalog.compiled(query.shape)
        if "marts.obt_sales_order_lines" not in compiled.sql:
            continue
        params = query.filters.params(compiled.params)
        obt = con.execute(compiled.sql, params).df()
        star = con.execute(
            compiled.sql.replace("marts.obt_sales_order_lines", bench.STAR_JOIN), params
        ).df()
        keys = list(query.shape.group_by)
        obt, star = (f.sort_values(keys).reset_index(drop=True) if keys else f for f in (obt, star))
        assert len(obt) > 0
        for column in obt.columns:
            if obt[column].dtype.kind == "f":
                assert star[column].tolist() == pytest.approx(obt[column].tolist()), column
            else:
                assert star[column].tolist() == obt[column].tolist(), column
        compared += 1
    con.close()
    assert compared == 7


def test_dashboard_bench_reports_both_scales_and_a_ratio() -> None:
    assert BENCHMARKS["dashboard"] == ("velo.bench.dashboard", 1.0)
    result = bench.run(0.01)
    assert set(result["figures"]) >= {"scale 0.01", "scale 0.1"}
    assert set(result["baseline"]) == {"scale 0.01", "scale 0.1"}
    pages = {name.split(".")[0] for name in result["figures"]["scale 0.1"] if "." in name}
    assert pages == {"overview", "profitability", "data_health"}
    assert result["ratio"] > 0
