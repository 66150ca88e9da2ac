"""headcounts (docs/kpi.md): the live headcount per scope x birth year x day and each person's counted
spans, kept by every write; frozen year-end counts; serving_counts (read by nothing) dropped

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('headcount_days',
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('birth_year', sa.SmallInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'birth_year', 'day', name=op.f('pk_headcount_days'))
    )
    op.create_table('headcount_people',
    sa.Column('person_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('birth_year', sa.SmallInteger(), nullable=False),
    sa.Column('spans', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_headcount_people'))
    )
    op.create_table('headcount_years',
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('people_65', sa.Integer(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'year', name=op.f('pk_headcount_years'))
    )
    op.drop_table('serving_counts')
    # The live headcount from the raw tables; past years are frozen by `flask stats refresh` (daily cron).
    from portal.records.serving import rebuild
    rebuild(op.get_bind())


def downgrade():
    op.create_table('serving_counts',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'shard', name=op.f('pk_serving_counts'))
    )
    op.drop_table('headcount_years')
    op.drop_table('headcount_people')
    op.drop_table('headcount_days')
