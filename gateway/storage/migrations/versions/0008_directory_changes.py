"""directory change requests: every change that makes an entry dialable waits for a second admin

Revision ID: 0009_directory_changes
Revises: 0008

The web app's own proposals (directory_proposals) become change requests like those of every
other door. A proposal still waiting has no entry changes to carry over, so an upgrade with
one waiting refuses (nothing is lost) until it is decided with the previous version.
"""

from alembic import op
import sqlalchemy as sa


# The file was renumbered when the gap in the numbering closed; the id stays the one databases record.
revision = "0009_directory_changes"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM directory_proposals WHERE state = 'pending'")).scalar()
    if waiting:
        raise RuntimeError(f"{waiting} directory proposal(s) still wait for a decision: approve or refuse them "
                           "in the web app with the previous version before upgrading")
    op.create_table(
        "directory_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_change_requests")),
    )
    with op.batch_alter_table("directory_change_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_change_requests_state"), ["state"], unique=False)
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_change_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("number_since", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_directory_entries_pending_change_id"), ["pending_change_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_directory_entries_pending_change_id_directory_change_requests"),
                                    "directory_change_requests", ["pending_change_id"], ["id"])
    with op.batch_alter_table("directory_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_directory_changes_request_id"), ["request_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_directory_changes_request_id_directory_change_requests"),
                                    "directory_change_requests", ["request_id"], ["id"])
    with op.batch_alter_table("directory_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_proposals_state"))
        batch_op.drop_index(batch_op.f("ix_directory_proposals_slot"))
    op.drop_table("directory_proposals")


def downgrade() -> None:
    op.create_table(
        "directory_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dial", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=False),
        sa.Column("entry_version", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_directory_proposals_decided_by_users")),
        sa.ForeignKeyConstraint(["proposed_by"], ["users.id"], name=op.f("fk_directory_proposals_proposed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_proposals")),
    )
    with op.batch_alter_table("directory_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_proposals_slot"), ["slot"], unique=False)
        batch_op.create_index(batch_op.f("ix_directory_proposals_state"), ["state"], unique=False)
    with op.batch_alter_table("directory_changes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_directory_changes_request_id_directory_change_requests"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_directory_changes_request_id"))
        batch_op.drop_column("request_id")
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_directory_entries_pending_change_id_directory_change_requests"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_directory_entries_pending_change_id"))
        batch_op.drop_column("number_since")
        batch_op.drop_column("pending_change_id")
    with op.batch_alter_table("directory_change_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_change_requests_state"))
    op.drop_table("directory_change_requests")
