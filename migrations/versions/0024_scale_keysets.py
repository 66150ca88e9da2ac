"""scale keysets (issue 11): memberships.sort_name (the person's name, kept by triggers) with the roster's
index (unit_id, sort_name, id); filled here, so an already-loaded database needs only `flask db upgrade`

Revision ID: 0024
Revises: 0017
Create Date: 2026-12-07 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    from portal.registry import sort_names
    bind = op.get_bind()
    # A constant default: PostgreSQL adds the column without rewriting the table; the copy fills it.
    op.add_column('memberships', sa.Column('sort_name', sa.String(length=60), server_default='', nullable=False))
    sort_names.rebuild(bind)
    op.create_index('ix_memberships_unit_sort', 'memberships', ['unit_id', 'sort_name', 'id'], unique=False,
                    postgresql_include=['status', 'field_code'])
    for statement in sort_names.trigger_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    if bind.dialect.name == 'postgresql':
        # The copy rewrote every membership: fresh statistics, and a visibility map for index-only reads.
        with op.get_context().autocommit_block():
            bind.exec_driver_sql('VACUUM (ANALYZE) memberships')


def downgrade():
    from portal.registry import sort_names
    bind = op.get_bind()
    for statement in sort_names.drop_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_index('ix_memberships_unit_sort', table_name='memberships')
    op.drop_column('memberships', 'sort_name')
