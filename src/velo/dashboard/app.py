"""Entry point of the dashboard (`velo dashboard` runs `streamlit run` on this file).

It runs the selected page; each page draws the shared sidebar filters (common.page_context).
No serving DB -> one message to run `make run`; never a traceback on the page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from velo.errors import VeloError

PAGES = Path(__file__).with_name("pages")


def main() -> None:
    st.set_page_config(page_title="Velo Analytics", page_icon="🚲", layout="wide")
    navigation = st.navigation(
        [
            st.Page(
                PAGES / "overview.py", title="Overview", icon=":material/insights:", default=True
            ),
            st.Page(PAGES / "profitability.py", title="Profitability", icon=":material/payments:"),
            st.Page(PAGES / "data_health.py", title="Data health", icon=":material/monitor_heart:"),
        ]
    )
    try:
        navigation.run()
    except VeloError as exc:
        st.error(str(exc))
    except Exception as exc:  # the page shows one line; details go to the server log
        st.error(f"The dashboard could not draw this page ({type(exc).__name__}: {exc}).")
        raise_in_logs(exc)


def raise_in_logs(exc: Exception) -> None:
    import logging

    logging.getLogger("velo.dashboard").error("page failed", exc_info=exc)


main()
