"""extra approvers asked for by findings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:45:01.189660
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra_approvers', sa.Integer(), nullable=False, server_default="0"))



def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('extra_approvers')

