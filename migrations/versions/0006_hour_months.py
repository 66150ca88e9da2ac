"""hour summaries: hour_months and hour_unit_months, kept by triggers on hour_entries

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hour_months',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('field_code', sa.String(length=20), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.SmallInteger(), nullable=False),
    sa.Column('half_hours', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'unit_id', 'field_code', 'year', 'month', name=op.f('pk_hour_months'))
    )
    op.create_index('ix_hour_months_unit_month', 'hour_months', ['unit_id', 'year', 'month', 'person_id', 'half_hours'])
    op.create_table('hour_unit_months',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('field_code', sa.String(length=20), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.SmallInteger(), nullable=False),
    sa.Column('half_hours', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'field_code', 'year', 'month', name=op.f('pk_hour_unit_months'))
    )
    from portal.hours.summaries import TABLE_KEYS, rebuild, trigger_statements
    bind = op.get_bind()
    # The two tables of this revision (0011 adds hour_unit_years to the triggers).
    for statement in trigger_statements(bind.dialect.name, TABLE_KEYS[:2]):
        bind.exec_driver_sql(statement)
    rebuild(bind, years=False)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for name in ('hour_summaries_insert', 'hour_summaries_update', 'hour_summaries_delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON hour_entries')
        op.execute('DROP FUNCTION IF EXISTS hour_summaries_apply()')
    else:
        for name in ('hour_summaries_insert', 'hour_summaries_delete', 'hour_summaries_update_old',
                     'hour_summaries_update_new'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    op.drop_table('hour_unit_months')
    op.drop_index('ix_hour_months_unit_month', table_name='hour_months')
    op.drop_table('hour_months')
