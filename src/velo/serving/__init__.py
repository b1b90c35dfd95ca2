"""Serving: the read-only DuckDB file the dashboard and `velo answers` read, and its metrics."""

from velo.serving.publish import PublishReport, open_serving, publish

__all__ = ["PublishReport", "open_serving", "publish"]
