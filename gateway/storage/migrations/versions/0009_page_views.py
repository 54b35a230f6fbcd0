"""the document as submitted, kept beside the one faxgate made of it (its cover sheet in front),
so that a job whose destination changed is screened again from what was submitted

Revision ID: 0010_page_views
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


# The file was renumbered when the gap in the numbering closed; the id stays the one databases record.
revision = "0010_page_views"
down_revision = "0009_directory_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_blobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_document", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_blobs", schema=None) as batch_op:
        batch_op.drop_column("submitted_document")
