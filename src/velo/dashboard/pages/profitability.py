"""Profitability: revenue vs profit, margins by subcategory, profit by category, top products."""

from __future__ import annotations

import streamlit as st

from velo.dashboard import charts, common, data
from velo.dashboard import formatting as fmt
from velo.serving import metrics as m

ctx = common.page_context()
st.title("Profitability")
st.caption(
    f"{ctx.date_from:%Y-%m-%d} to {ctx.date_to:%Y-%m-%d}, amounts in {ctx.currency}; revenue "
    "excludes rejected and cancelled orders; profit = revenue - standard cost at the order date."
)


def draw_daily() -> None:
    shape = m.saved_query("daily_sales")
    daily = data.metric_frame(ctx.version, shape.metrics, shape.group_by, ctx.filters, ctx.currency)
    common.show_unless_empty(
        daily.empty,
        lambda: charts.revenue_profit_lines(daily.sort_values("metric_time__day"), ctx.symbol),
        "revenue_profit",
    )


def draw_treemap() -> None:
    shape = m.saved_query("sales_by_subcategory")
    frame = data.metric_frame(ctx.version, shape.metrics, shape.group_by, ctx.filters, ctx.currency)
    common.show_unless_empty(
        frame.empty or not (frame.revenue > 0).any(),
        lambda: charts.margin_treemap(frame, ctx.symbol),
        "margin_treemap",
    )


def draw_donut() -> None:
    categories = data.categories(ctx.version, ctx.filters, ctx.currency)
    common.show_unless_empty(
        categories.empty or not (categories.profit > 0).any(),
        lambda: charts.profit_donut(categories, ctx.symbol),
        "profit_donut",
    )


def draw_products() -> None:
    st.subheader("Top products by margin")
    products = data.product_margins(ctx.version, ctx.filters, ctx.currency)
    if products.empty:
        st.info(common.NO_DATA)
        return
    table = products.rename(
        columns={
            "sales_order_line__product": "product",
            "sales_order_line__category": "category",
            "units_sold": "units",
        }
    )[["product", "category", "revenue", "units", "margin", "profit"]]
    st.dataframe(
        table,
        hide_index=True,
        key="top_products",
        column_config={
            "revenue": st.column_config.NumberColumn(
                f"revenue ({ctx.currency})", format=fmt.money_printf(ctx.symbol)
            ),
            "profit": st.column_config.NumberColumn(
                f"profit ({ctx.currency})", format=fmt.money_printf(ctx.symbol)
            ),
            "units": st.column_config.NumberColumn("units", format=fmt.COUNT_PRINTF),
            "margin": st.column_config.NumberColumn("margin", format="percent", step=0.001),
        },
    )
    st.caption("Products with at least 0.1 % of the period's revenue; click a header to sort.")


common.warn_if_no_sales(ctx)
common.guarded(draw_daily)
left, right = st.columns(2)
with left:
    common.guarded(draw_treemap)
with right:
    common.guarded(draw_donut)
common.guarded(draw_products)
