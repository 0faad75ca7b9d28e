"""Alembic environment: runs migrations on the engine db.py hands over (never a URL from a file)."""

from alembic import context

from server.tables import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
