"""the attachment's file name sealed like the other fields: its column becomes text, as the
sealed value is longer than the 255 characters the name itself may have. Names stored before
stay readable as they are until `faxgate keys encrypt-existing` seals them.

Revision ID: 0015_kek11
Revises: 0014_leases
"""

from alembic import op
import sqlalchemy as sa

revision = "0015_kek11"
down_revision = "0014_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("filename", existing_type=sa.String(length=255), type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("filename", existing_type=sa.Text(), type_=sa.String(length=255), existing_nullable=False)
