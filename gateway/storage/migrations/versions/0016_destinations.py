"""destinations stored once: the number and in-house extension of every book's slots move to
directory_destinations, one row per destination, and each entry points to its row

Revision ID: 0016_destinations
Revises: 0015_kek11

An extension without an E.164 number is known only inside its site's PBX: its row names the
site of the devices that dial from the entry's book (none for the shared book).
"""

from alembic import op
import sqlalchemy as sa

revision = "0016_destinations"
down_revision = "0015_kek11"
branch_labels = None
depends_on = None


def _identity(e164, extension, site) -> str:
    # As gateway.storage.directory_tables.destination_identity at this revision.
    if e164:
        return f"{e164}#{extension}" if extension else e164
    return f"ext:{extension}@{site or ''}"


def upgrade() -> None:
    op.create_table(
        "directory_destinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=200), nullable=False),
        sa.Column("e164", sa.String(length=32), nullable=True),
        sa.Column("extension", sa.String(length=16), nullable=True),
        sa.Column("site", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_destinations")),
        sa.UniqueConstraint("identity", name=op.f("uq_directory_destinations_identity")),
    )
    with op.batch_alter_table("directory_destinations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_destinations_e164"), ["e164"], unique=False)
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("destination_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_directory_entries_destination_id"), ["destination_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_directory_entries_destination_id_directory_destinations"),
                                    "directory_destinations", ["destination_id"], ["id"])

    connection = op.get_bind()
    devices = connection.execute(sa.text("SELECT book, site FROM devices ORDER BY id")).all()
    site_of_book: dict[str, str | None] = {}
    for book, site in devices:  # the first device that dials from its own book names its site
        if book is not None:
            site_of_book.setdefault(book, site)
    ids: dict[str, int] = {}
    entries = connection.execute(sa.text(
        "SELECT id, book, e164, extension FROM directory_entries ORDER BY id")).all()
    for entry_id, book, e164, extension in entries:
        if not (e164 or extension):
            continue
        site = None if e164 or not book else site_of_book.get(book)
        identity = _identity(e164, extension, site)
        if identity not in ids:
            connection.execute(sa.text(
                "INSERT INTO directory_destinations (identity, e164, extension, site) VALUES (:i, :e, :x, :s)"),
                {"i": identity, "e": e164, "x": extension, "s": site})
            ids[identity] = connection.execute(sa.text(
                "SELECT id FROM directory_destinations WHERE identity = :i"), {"i": identity}).scalar_one()
        connection.execute(sa.text("UPDATE directory_entries SET destination_id = :d WHERE id = :id"),
                           {"d": ids[identity], "id": entry_id})

    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_entries_e164"))
        batch_op.drop_column("extension")
        batch_op.drop_column("e164")


def downgrade() -> None:
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("e164", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("extension", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_directory_entries_e164"), ["e164"], unique=False)
    op.execute(
        "UPDATE directory_entries SET "
        "e164 = (SELECT e164 FROM directory_destinations d WHERE d.id = directory_entries.destination_id), "
        "extension = (SELECT extension FROM directory_destinations d WHERE d.id = directory_entries.destination_id)"
    )
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_directory_entries_destination_id_directory_destinations"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_directory_entries_destination_id"))
        batch_op.drop_column("destination_id")
    with op.batch_alter_table("directory_destinations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_destinations_e164"))
    op.drop_table("directory_destinations")
