"""Alembic environment: the engine comes from coffeechat (never from an ini file)."""

from alembic import context
from sqlalchemy import Engine

from coffeechat.store.models import Base

engine: Engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
