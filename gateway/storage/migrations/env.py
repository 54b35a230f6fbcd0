"""Alembic environment: the engine comes from faxgate's composition root, never from a URL here."""

from alembic import context

from gateway.storage.metadata import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
