"""The warehouse: the dbt project (``dbt_project/``) and the runner that builds it."""
