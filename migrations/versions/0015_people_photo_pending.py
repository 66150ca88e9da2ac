"""a partial index on the people whose photo waits for acceptance (the staff work list)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_photo_pending', ['id'], unique=False,
                              postgresql_where=sa.text("photo_status = 'pending'"),
                              sqlite_where=sa.text("photo_status = 'pending'"))


def downgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_photo_pending',
                            postgresql_where=sa.text("photo_status = 'pending'"),
                            sqlite_where=sa.text("photo_status = 'pending'"))
