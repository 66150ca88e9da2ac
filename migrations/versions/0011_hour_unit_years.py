"""hour_unit_years: the hours of a unit and field per year, kept by the hour-summary triggers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = ('hour_summaries_insert', 'hour_summaries_delete', 'hour_summaries_update_old',
                    'hour_summaries_update_new')


def upgrade():
    op.create_table('hour_unit_years',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('field_code', sa.String(length=20), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('half_hours', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'field_code', 'year', name=op.f('pk_hour_unit_years'))
    )
    op.create_index('ix_hour_unit_years_year', 'hour_unit_years', ['year', 'unit_id'],
                    postgresql_include=['field_code', 'entries', 'half_hours'])
    from portal.hours.summaries import TABLE_KEYS, pg_function, roll_up_years, trigger_statements
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # The statement triggers stay; their function now also keeps the years.
        bind.exec_driver_sql(pg_function(TABLE_KEYS[:3]))
    else:
        for name in _SQLITE_TRIGGERS:
            bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS {name}')
        for statement in trigger_statements(bind.dialect.name, TABLE_KEYS[:3]):
            bind.exec_driver_sql(statement)
    # From the month rows (a twelfth of them), not from the raw entries.
    roll_up_years(bind)


def downgrade():
    from portal.hours.summaries import TABLE_KEYS, pg_function, trigger_statements
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        bind.exec_driver_sql(pg_function(TABLE_KEYS[:2]))
    else:
        for name in _SQLITE_TRIGGERS:
            bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS {name}')
        for statement in trigger_statements(bind.dialect.name, TABLE_KEYS[:2]):
            bind.exec_driver_sql(statement)
    op.drop_index('ix_hour_unit_years_year', table_name='hour_unit_years')
    op.drop_table('hour_unit_years')
