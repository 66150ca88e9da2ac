"""pending claims by unit (issue 11): the unit's hours list counts the claims waiting for its decision; the
count walked every pending claim of the country through the status index and kept its unit's, now a partial
index holds the pending ones by unit

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # hour_entries is the biggest table: build the index without blocking the writers.
        with op.get_context().autocommit_block():
            op.create_index('ix_hour_entries_pending_unit', 'hour_entries', ['unit_id', 'id'], unique=False,
                            postgresql_where=PENDING, postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index('ix_hour_entries_pending_unit', 'hour_entries', ['unit_id', 'id'], unique=False,
                        sqlite_where=PENDING)


def downgrade():
    op.drop_index('ix_hour_entries_pending_unit', table_name='hour_entries')
