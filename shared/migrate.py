"""Alembic per service: one alembic.ini section and env each, separate version tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, engine_from_config, pool

from shared.settings import WardGateSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
SERVICES = ("appointments", "screening", "discharge")


def version_table(service: str) -> str:
    """The service's own Alembic version table."""
    return f"alembic_version_{service}"


def alembic_config(service: str, url: str | None = None) -> Config:
    """The Alembic config for one service, pointed at `url` (default: its DATABASE_URL)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; choose from {', '.join(SERVICES)}")
    cfg = Config(str(ALEMBIC_INI), ini_section=service)
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations" / service))
    resolved = url or WardGateSettings(service_name=service).resolved_database_url()
    cfg.set_main_option("sqlalchemy.url", resolved.replace("%", "%%"))
    return cfg


def upgrade(service: str, url: str | None = None) -> None:
    """Bring the service's database to the newest revision (idempotent)."""
    if url is None:
        url = WardGateSettings(service_name=service).resolved_database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service, url), "head")


def run_env(service: str, metadata: MetaData) -> None:
    """Body of migrations/<service>/env.py (online mode; offline renders SQL)."""
    cfg = context.config
    url = cfg.get_main_option("sqlalchemy.url")
    if not url:  # plain `alembic --name <service>` runs: use DATABASE_URL or the default
        url = WardGateSettings(service_name=service).resolved_database_url()
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    is_sqlite = bool(url and url.startswith("sqlite"))
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "version_table": version_table(service),
        "render_as_batch": is_sqlite,
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        cfg.get_section(cfg.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
