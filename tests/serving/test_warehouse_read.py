"""Reading the marts out of a remote warehouse: connection settings and failures in one line."""

from __future__ import annotations

import pytest

from velo.errors import VeloError
from velo.ingest.runner import warehouse_destination
from velo.serving import publish
from velo.serving.warehouse_read import snowflake_connect_args
from velo.settings import Settings
from velo.testing.postgres import free_port


def test_snowflake_url_becomes_connector_arguments() -> None:
    url = (
        "snowflake://VELO_SVC:p%40ss@myorg-acct/VELO/PUBLIC?warehouse=TRANSFORMING&role=TRANSFORMER"
    )
    assert snowflake_connect_args(url) == {
        "account": "myorg-acct",
        "user": "VELO_SVC",
        "password": "p@ss",
        "database": "VELO",
        "schema": "PUBLIC",
        "warehouse": "TRANSFORMING",
        "role": "TRANSFORMER",
    }


def test_a_non_snowflake_url_is_one_clear_line() -> None:
    with pytest.raises(VeloError, match=r"warehouse_url = snowflake://user:password@account"):
        snowflake_connect_args("postgresql://u:p@h/db")


def test_unreachable_postgres_warehouse_is_one_line_without_the_password(
    served: Settings,
) -> None:
    before = served.serving_path.read_bytes()
    url = f"postgresql+psycopg://velo:s3cret-pw@127.0.0.1:{free_port()}/velo"
    with pytest.raises(VeloError, match="cannot be read for publishing") as caught:
        publish(
            served.with_overrides(warehouse="postgres", warehouse_url=url),
            require_passed_build=False,
        )
    assert "s3cret-pw" not in str(caught.value) and "\n" not in str(caught.value)
    assert served.serving_path.read_bytes() == before
    assert not list(served.serving_path.parent.glob("*.tmp"))


def test_dlt_accepts_a_postgres_url_without_password(settings: Settings) -> None:
    # Trust authentication: dlt used to stop at ConfigFieldMissingException (credentials).
    url = "postgresql+psycopg://velo_trust@127.0.0.1:5432/velo"
    destination = warehouse_destination(
        settings.with_overrides(warehouse="postgres", warehouse_url=url)
    )
    config = destination.configuration(destination.spec()._bind_dataset_name("raw"))
    assert config.credentials.username == "velo_trust" and config.credentials.password == ""
    assert config.credentials.database == "velo"
