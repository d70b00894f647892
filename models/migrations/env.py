"""Alembic environment: the URL comes from thidua settings (or the caller's config)."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table on SQLModel.metadata
from models.db import engine_for

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    from thidua.settings import get_settings

    url = get_settings().database_url


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with engine_for(url).connect() as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


run_migrations_online()
