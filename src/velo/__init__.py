"""Velo Analytics."""
