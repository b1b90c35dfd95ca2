"""The dbt project as deployed, for dagster-dbt's own deployment step.

``dagster-dbt project prepare-and-package --file src/velo/orchestration/dbt_project.py`` (run by
docker/Dockerfile at image build) finds :data:`DBT_PROJECT` and runs its preparer: ``dbt deps``
and ``dbt parse`` into the configured data directory's dbt target, so the code location starts
without parsing. Definitions load it through :func:`velo.orchestration.warehouse.prepared_location`,
which parses again only when the project files or the warehouse adapter changed since.
"""

from velo.orchestration.warehouse import velo_location
from velo.settings import load_settings

DBT_PROJECT = velo_location(load_settings()).project()
