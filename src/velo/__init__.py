"""Velo Analytics."""

import os

# dlt decides on its anonymous telemetry once, from the environment, when it is first imported:
# `dlt.config[...]` set afterwards is too late (a load still posted its events). Every velo
# module is imported through this package, so this runs before any of them imports dlt.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
