"""Fixtures: a test IdP, databases on SQLite and PostgreSQL, and service clients."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.databases import (
    drop_postgres_database,
    fresh_sqlite,
    postgres_database,
    sqlite_template,
    truncate_all,
)
from tests.support.keys import AUDIENCE, ISSUER, TestIdp, make_idp

SERVICES = ("appointments", "screening", "discharge")
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def idp(tmp_path_factory: pytest.TempPathFactory) -> TestIdp:
    """The identity provider whose JWKS every service under test trusts."""
    return make_idp(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""
    return str(request.param)


@pytest.fixture(scope="session")
def _pg_urls(backend: str) -> Iterator[dict[str, str]]:
    if backend != "postgresql":
        yield {}
        return
    urls = {svc: postgres_database(PG_URL, svc) for svc in SERVICES}
    yield urls
    for url in urls.values():
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def _sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("templates")
    return {svc: sqlite_template(directory, svc) for svc in SERVICES}


@pytest.fixture
def database_url(
    backend: str,
    _pg_urls: dict[str, str],
    _sqlite_templates: dict[str, Path],
    tmp_path: Path,
) -> Iterator[Callable[[str], str]]:
    """`database_url(service)`: a clean, migrated database for this test."""
    used: dict[str, str] = {}

    def get(service: str) -> str:
        if service not in used:
            if backend == "postgresql":
                used[service] = _pg_urls[service]
            else:
                used[service] = fresh_sqlite(_sqlite_templates[service], tmp_path, service)
        return used[service]

    yield get
    if backend == "postgresql":
        for service, url in used.items():
            models = importlib.import_module(f"services.{service}.models")
            truncate_all(url, models.metadata)


@pytest.fixture
def service_env(idp: TestIdp, tmp_path: Path) -> dict[str, str]:
    """Environment every service under test shares (keys, issuer, audience, data dir)."""
    return {
        "AUTH_JWKS_FILE": str(idp.jwks_file),
        "AUTH_ISSUER": ISSUER,
        "AUTH_AUDIENCE": AUDIENCE,
        "WARDGATE_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
def make_client(
    database_url: Callable[[str], str], service_env: dict[str, str]
) -> Iterator[Callable[..., TestClient]]:
    """`make_client(service, **settings)`: an in-process client of a started service."""
    clients: list[TestClient] = []

    def make(service: str, **overrides: Any) -> TestClient:
        main = importlib.import_module(f"services.{service}.main")
        settings_mod = importlib.import_module(f"services.{service}.settings")
        settings_cls = next(
            v
            for k, v in vars(settings_mod).items()
            if k.endswith("Settings") and k != "WardGateSettings"
        )
        values: dict[str, Any] = {k.lower(): v for k, v in service_env.items()}
        values["database_url"] = database_url(service)
        values.update(overrides)
        client = TestClient(main.create_app(settings_cls(**values)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def live(
    database_url: Callable[[str], str], service_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., Any]]:
    """`live(service, **env)`: a started uvicorn process on a free port (stopped after)."""
    from tests.support.live import LiveService, live_service

    started: list[LiveService] = []

    def start(service: str, **env: str) -> LiveService:
        svc = live_service(service, database_url(service), {**service_env, **env}, tmp_path)
        started.append(svc.start())
        return svc

    yield start
    for svc in started:
        svc.stop()
