"""kept I6 flags (issue 17): hour_cover_flags (the hour entries on a day without the unit's cover),
hour_cover_counts (per unit and year) and hour_cover_dirty (pairs marked by a write), the triggers that mark
and count, and the flags of the existing data computed here (portal.insurance.flags.rebuild)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    from portal.insurance import flags
    bind = op.get_bind()
    op.create_table('hour_cover_flags',
    sa.Column('hour_entry_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['hour_entry_id'], ['hour_entries.id'], name=op.f('fk_hour_cover_flags_hour_entry_id_hour_entries'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hour_entry_id', name=op.f('pk_hour_cover_flags'))
    )
    op.create_index('ix_hour_cover_flags_unit_start', 'hour_cover_flags', ['unit_id', 'start_on', 'hour_entry_id'],
                    unique=False)
    op.create_index('ix_hour_cover_flags_person_unit', 'hour_cover_flags', ['person_id', 'unit_id'], unique=False)
    op.create_table('hour_cover_counts',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'year', name=op.f('pk_hour_cover_counts'))
    )
    op.create_table('hour_cover_dirty',
    sa.Column('person_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'unit_id', name=op.f('pk_hour_cover_dirty'))
    )
    for statement in flags.trigger_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    flags.rebuild(bind)
    if bind.dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            bind.exec_driver_sql('VACUUM (ANALYZE) hour_cover_flags')
            bind.exec_driver_sql('ANALYZE hour_cover_counts')


def downgrade():
    from portal.insurance import flags
    bind = op.get_bind()
    for statement in flags.drop_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_table('hour_cover_dirty')
    op.drop_table('hour_cover_counts')
    op.drop_index('ix_hour_cover_flags_person_unit', table_name='hour_cover_flags')
    op.drop_index('ix_hour_cover_flags_unit_start', table_name='hour_cover_flags')
    op.drop_table('hour_cover_flags')
