"""audit_log index by object (issue 14): whether a membership's end can still be undone is read from its audit
rows, one indexed read instead of a scan of the whole trail

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # The trail is large and append-only: build the index without blocking the writers that append to it.
        with op.get_context().autocommit_block():
            op.create_index('ix_audit_log_object', 'audit_log', ['object_type', 'object_id', 'id'], unique=False,
                            postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index('ix_audit_log_object', 'audit_log', ['object_type', 'object_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_audit_log_object', table_name='audit_log')
