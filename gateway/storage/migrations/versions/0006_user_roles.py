"""privacy officers, where an account comes from, and jobs that need a privacy officer

Revision ID: 0006_user_roles
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0006_user_roles"
down_revision = "0005"  # the revision of 0005_extra_approvers.py
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("privacy_officer", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=False, server_default="local"))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs_privacy_officer", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("needs_privacy_officer")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("privacy_officer")
