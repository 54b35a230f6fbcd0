"""in-house delivery (庁内便): a job's route (fax or a section's inbox), the department whose
inbox takes a directory entry's deliveries, and the deliveries with their acknowledgement

Revision ID: 0017_inbox
Revises: 0016_destinations
"""

from alembic import op
import sqlalchemy as sa

revision = "0017_inbox"
down_revision = "0016_destinations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=8), nullable=False, server_default="fax"))
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inbox", sa.String(length=100), nullable=True))
    op.create_table(
        "inbox_deliveries",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_inbox_deliveries_job_id_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_inbox_deliveries")),
    )
    with op.batch_alter_table("inbox_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_deliveries_department"), ["department"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_deliveries_department"))
    op.drop_table("inbox_deliveries")
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.drop_column("inbox")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("route")
