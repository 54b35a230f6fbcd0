"""leases on the jobs a worker screens or sends (owner and expiry, renewed while it lives), and
what recognises a device's resend after a crash: the Message-ID and the job it resends

Revision ID: 0014_leases
Revises: 0013_beyond
"""

from alembic import op
import sqlalchemy as sa

revision = "0014_leases"
down_revision = "0013_beyond"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("resend_of", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_jobs_device_created", ["device", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_device_created")
        batch_op.drop_column("resend_of")
        batch_op.drop_column("message_id")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
