"""Schema migrations with Alembic, driven from code (no alembic.ini to keep in step)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create the schema on an empty database, or bring an older one up to date."""
    command.upgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from models.db import engine_for

    with engine_for(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
