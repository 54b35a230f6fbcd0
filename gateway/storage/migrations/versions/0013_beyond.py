"""destinations refused before any job existed (near misses), approvers told about waiting jobs

Revision ID: 0013_beyond
Revises: 0012_notices
"""

from alembic import op
import sqlalchemy as sa


revision = "0013_beyond"
down_revision = "0012_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refused_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("door", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_recipients")),
    )
    with op.batch_alter_table("refused_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refused_recipients_at"), ["at"], unique=False)
    op.create_table(
        "approver_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mailed", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_approver_notices_job_id_jobs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_approver_notices_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approver_notices")),
        sa.UniqueConstraint("job_id", "user_id", "kind", name=op.f("uq_approver_notices_job_id")),
    )
    with op.batch_alter_table("approver_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approver_notices_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    op.drop_table("approver_notices")
    op.drop_table("refused_recipients")
