"""mail notices queued durably (retried with backoff while the mail server is down)

Revision ID: 0012_notices
Revises: 0011_encryption
"""

from alembic import op
import sqlalchemy as sa


revision = "0012_notices"
down_revision = "0011_encryption"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("notices",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("job_id", sa.String(length=32), nullable=True),
    sa.Column("kind", sa.String(length=24), nullable=False),
    sa.Column("recipients", sa.JSON(), nullable=False),
    sa.Column("subject", sa.String(length=200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("state", sa.String(length=16), nullable=False),
    sa.Column("tries", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.String(length=300), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_notices_job_id_jobs"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_notices"))
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_state"), ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("notices")
