"""what finds the job a device's message resends without reading every job of that device in
the resend window: its Message-ID and its document, each with the device and the recipient

Revision ID: 0018_resend_lookup
Revises: 0017_inbox
"""

from alembic import op

revision = "0018_resend_lookup"
down_revision = "0017_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_resend_message", ["device", "recipient", "message_id", "created_at"], unique=False)
        batch_op.create_index("ix_jobs_resend_document", ["device", "recipient", "content_sha256", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_resend_document")
        batch_op.drop_index("ix_jobs_resend_message")
