"""The services a test session needs: given by environment variables, or started here.

``TANFANG_TEST_DATABASE_URL`` names a PostgreSQL server whose role may create databases;
``TANFANG_TEST_MQTT_URL`` names a broker. Without them, a private PostgreSQL and Mosquitto
are started on free ports and stopped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from tests.rig.mosquitto import start_mosquitto
from tests.rig.postgres import start_postgres


@dataclass(frozen=True)
class Services:
    database_admin_url: str
    mqtt_url: str

    def database_url(self, dbname: str) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.database_admin_url)
        info["dbname"] = dbname
        return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]

    def create_database(self, *, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); returns its URL."""
        name = "tf_" + uuid.uuid4().hex[:16]
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        with psycopg.connect(self.database_admin_url, autocommit=True) as conn:
            conn.execute(query)
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        with psycopg.connect(self.database_admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name)))
            )


@contextmanager
def running_services() -> Iterator[Services]:
    stops = []
    database = os.environ.get("TANFANG_TEST_DATABASE_URL")
    mqtt = os.environ.get("TANFANG_TEST_MQTT_URL")
    try:
        if not database:
            pg = start_postgres()
            stops.append(pg.stop)
            database = pg.admin_url
        if not mqtt:
            broker = start_mosquitto()
            stops.append(broker.stop)
            mqtt = broker.url
        yield Services(database_admin_url=database, mqtt_url=mqtt)
    finally:
        for stop in reversed(stops):
            stop()
