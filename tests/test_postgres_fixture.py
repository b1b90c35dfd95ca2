import psycopg
import sqlalchemy as sa

from velo.testing.postgres import SUPPORTED_VERSIONS


def test_cluster_is_real_and_databases_are_isolated(pg_cluster, pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        major = conn.execute(sa.text("show server_version_num")).scalar_one()
        conn.execute(sa.text("create table t (x int)"))
    other = sa.create_engine(pg_cluster.create_database("velo_other"))
    with other.connect() as conn:
        tables = conn.execute(
            sa.text("select count(*) from pg_tables where tablename = 't'")
        ).scalar_one()
    assert int(major) // 10000 in SUPPORTED_VERSIONS
    assert tables == 0


def test_trusted_role_needs_no_password_and_others_do(pg_cluster, pg_url):
    database = pg_url.rsplit("/", 1)[1]
    trusted = pg_cluster.trust_url(database, driver="postgresql")
    with psycopg.connect(trusted) as conn:
        assert conn.execute("select current_user").fetchone() == ("velo_trust",)
    without_password = f"postgresql://velo@{pg_cluster.host}:{pg_cluster.port}/{database}"
    try:
        psycopg.connect(without_password, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        assert "password" in str(exc)
    else:
        raise AssertionError("the password-protected role logged in without a password")
