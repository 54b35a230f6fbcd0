"""encryption at rest: each job's data key, wrapped by the key-encryption key (kept outside the
database). Rows stored before this stay readable as they are until `faxgate keys
encrypt-existing` seals them (the migration has no key: it must not need one).

Revision ID: 0011_encryption
Revises: 0010_sites
"""

from alembic import op
import sqlalchemy as sa

revision = "0011_encryption"
down_revision = "0010_sites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_data_keys")),
    )
    op.create_index(op.f("ix_data_keys_kek_id"), "data_keys", ["kek_id"])
    with op.batch_alter_table("job_blobs", schema=None) as batch_op:  # purged documents leave None
        batch_op.alter_column("message", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("document", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("job_blobs", schema=None) as batch_op:
        batch_op.alter_column("message", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("document", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_index("ix_data_keys_kek_id", table_name="data_keys")
    op.drop_table("data_keys")
