"""The Streamlit dashboard: Overview, Profitability and Data health, on the serving DB only."""
