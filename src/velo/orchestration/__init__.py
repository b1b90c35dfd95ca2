"""Orchestration (Dagster): assets for every step of the platform, schedules, retries, alerts."""
