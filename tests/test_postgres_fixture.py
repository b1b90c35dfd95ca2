import sqlalchemy as sa


def test_cluster_is_real_and_databases_are_isolated(pg_cluster, pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        version = conn.execute(sa.text("show server_version")).scalar_one()
        conn.execute(sa.text("create table t (x int)"))
    other = sa.create_engine(pg_cluster.create_database("velo_other"))
    with other.connect() as conn:
        tables = conn.execute(
            sa.text("select count(*) from pg_tables where tablename = 't'")
        ).scalar_one()
    assert version.startswith("15")
    assert tables == 0
