"""Ingestion: dlt pipelines from the operations DB, the FX API and the landing zone into `raw`."""

from velo.ingest.runner import SOURCES, IngestError, LoadReport, print_load_reports, run_ingest

__all__ = ["SOURCES", "IngestError", "LoadReport", "print_load_reports", "run_ingest"]
