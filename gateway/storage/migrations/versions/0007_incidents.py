"""incidents, delivery reports, expected receiver IDs

Revision ID: 0008
Revises: 0006_user_roles
"""

from alembic import op
import sqlalchemy as sa


# The file was renumbered when the gap in the numbering closed; the id stays the one databases record.
revision = "0008"
down_revision = "0006_user_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expected_csi", sa.String(length=64), nullable=True))
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reached", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("csi_reported", sa.String(length=64), nullable=True),
        sa.Column("csi_expected", sa.String(length=64), nullable=True),
        sa.Column("record_sha256", sa.String(length=64), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("sensitive", sa.JSON(), nullable=False),
        sa.Column("persons_estimate", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("malicious", sa.Boolean(), nullable=False),
        sa.Column("financial_risk", sa.Boolean(), nullable=True),
        sa.Column("preliminary_due", sa.Date(), nullable=True),
        sa.Column("preliminary_filed_on", sa.Date(), nullable=True),
        sa.Column("final_filed_on", sa.Date(), nullable=True),
        sa.Column("narrative", sa.JSON(), nullable=False),
        sa.Column("recurrence", sa.JSON(), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_incidents_job_id_jobs"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_job_id"), ["job_id"], unique=False)
    op.create_table(
        "delivery_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("receipt", sa.String(length=64), nullable=True),
        sa.Column("csi", sa.String(length=64), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_delivery_reports_job_id_jobs"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_reports")),
    )
    with op.batch_alter_table("delivery_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_reports_job_id"), ["job_id"], unique=False)
    op.create_table(
        "report_cursors",
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_report_cursors")),
    )


def downgrade() -> None:
    op.drop_table("report_cursors")
    with op.batch_alter_table("delivery_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_reports_job_id"))
    op.drop_table("delivery_reports")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_job_id"))
    op.drop_table("incidents")
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.drop_column("expected_csi")
