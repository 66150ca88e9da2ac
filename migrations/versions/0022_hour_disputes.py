"""hour_disputes (issue 17): a volunteer's dispute of an hour entry and the unit's answer, one open dispute per
entry (docs/rules/hours.md#h13)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

OPEN_ONLY = sa.text("status = 'open'")


def upgrade():
    op.create_table('hour_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.String(length=300), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['hour_entries.id'], name=op.f('fk_hour_disputes_entry_id_hour_entries')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_hour_disputes_person_id_people')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_hour_disputes_unit_id_units')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_hour_disputes_opened_by_id_users')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_hour_disputes_answered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hour_disputes'))
    )
    op.create_index(op.f('ix_hour_disputes_entry_id'), 'hour_disputes', ['entry_id'], unique=False)
    op.create_index('ix_hour_disputes_unit_status', 'hour_disputes', ['unit_id', 'status'], unique=False)
    op.create_index('ix_hour_disputes_person', 'hour_disputes', ['person_id', 'id'], unique=False)
    op.create_index('uq_hour_disputes_open_entry', 'hour_disputes', ['entry_id'], unique=True,
                    sqlite_where=OPEN_ONLY, postgresql_where=OPEN_ONLY)


def downgrade():
    op.drop_index('uq_hour_disputes_open_entry', table_name='hour_disputes')
    op.drop_index('ix_hour_disputes_person', table_name='hour_disputes')
    op.drop_index('ix_hour_disputes_unit_status', table_name='hour_disputes')
    op.drop_index(op.f('ix_hour_disputes_entry_id'), table_name='hour_disputes')
    op.drop_table('hour_disputes')
