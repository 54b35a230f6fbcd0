"""sites: the buildings of a city, each with its PBX profile; devices and jobs name their site;
a speed-dial book per device (directory entries are unique by book and slot)

Revision ID: 0010_sites
Revises: 0010_page_views

No site rows after the upgrade: an install goes on reading every dial string with its `[pbx]`
configuration, exactly as before. The first `faxgate sites add` stores that `[pbx]` profile as
site `main` and puts every device registered so far there (gateway.services.sites).
"""

from alembic import op
import sqlalchemy as sa


revision = "0010_sites"
down_revision = "0010_page_views"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("outside_line", sa.String(length=8), nullable=False),
        sa.Column("area_code", sa.String(length=8), nullable=False),
        sa.Column("local_dialing", sa.Boolean(), nullable=False),
        sa.Column("extension_length", sa.Integer(), nullable=False),
        sa.Column("did_ranges", sa.JSON(), nullable=False),
        sa.Column("tie_prefix", sa.String(length=8), nullable=False),
        sa.Column("site_code", sa.String(length=8), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=True),
        sa.Column("proposed_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("book", sa.String(length=100), nullable=True))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("book", sa.String(length=100), nullable=False, server_default=""))
    # Every entry so far is in the shared book; a slot is unique within its book.
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("book", sa.String(length=100), nullable=False, server_default=""))
        batch_op.drop_constraint("uq_directory_entries_slot", type_="unique")
        batch_op.create_unique_constraint("uq_directory_entries_book_slot", ["book", "slot"])


def downgrade() -> None:
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_directory_entries_book_slot", type_="unique")
        batch_op.create_unique_constraint("uq_directory_entries_slot", ["slot"])
        batch_op.drop_column("book")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("book")
        batch_op.drop_column("site")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("book")
        batch_op.drop_column("site")
    op.drop_table("sites")
