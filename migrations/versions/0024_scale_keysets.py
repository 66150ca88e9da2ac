"""scale keysets (issue 11): memberships.sort_name (the person's name, kept by triggers) with the roster's
index (unit_id, sort_name, id); hour_person_years (a volunteer's hours per field and year, kept by the
hour-summary triggers); both filled here, so an already-loaded database needs only `flask db upgrade`

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


_SQLITE_HOUR_TRIGGERS = ('hour_summaries_insert', 'hour_summaries_delete', 'hour_summaries_update_old',
                         'hour_summaries_update_new')


def _hour_triggers(bind, tables):
    from portal.hours.summaries import pg_function, trigger_statements
    if bind.dialect.name == 'postgresql':
        # The statement triggers stay; their function now keeps `tables`.
        bind.exec_driver_sql(pg_function(tables))
    else:
        for name in _SQLITE_HOUR_TRIGGERS:
            bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS {name}')
        for statement in trigger_statements(bind.dialect.name, tables):
            bind.exec_driver_sql(statement)


def upgrade():
    from portal.hours.summaries import TABLE_KEYS, roll_up_person_years
    from portal.registry import sort_names
    bind = op.get_bind()
    op.create_table('hour_person_years',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('field_code', sa.String(length=20), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('half_hours', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'field_code', 'year', name=op.f('pk_hour_person_years'))
    )
    _hour_triggers(bind, TABLE_KEYS[:4])
    # From the month rows, not from the raw entries (national set: ~40 M month rows, a few minutes).
    roll_up_person_years(bind)
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
            bind.exec_driver_sql('VACUUM (ANALYZE) hour_person_years')


def downgrade():
    from portal.hours.summaries import TABLE_KEYS
    from portal.registry import sort_names
    bind = op.get_bind()
    _hour_triggers(bind, TABLE_KEYS[:3])
    op.drop_table('hour_person_years')
    for statement in sort_names.drop_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_index('ix_memberships_unit_sort', table_name='memberships')
    op.drop_column('memberships', 'sort_name')
