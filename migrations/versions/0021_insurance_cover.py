"""insurance over time (issue 17): the lines of imported insurer rosters and their reconciliation with the
enrolments

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'insurance_roster_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('check', sa.String(length=10), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('enrolment_id', sa.Integer(), nullable=True),
        sa.Column('masked_id', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('sheet_row', sa.Integer(), nullable=True),
        sa.Column('roster_starts_on', sa.Date(), nullable=True),
        sa.Column('roster_ends_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id']),
        sa.ForeignKeyConstraint(['enrolment_id'], ['insurance_enrolments.id']),
        sa.ForeignKeyConstraint(['person_id'], ['people.id']),
        sa.ForeignKeyConstraint(['policy_id'], ['insurance_policies.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_insurance_roster_lines_batch_id', 'insurance_roster_lines', ['batch_id'], unique=False)
    op.create_index('ix_insurance_roster_lines_policy_id', 'insurance_roster_lines', ['policy_id'], unique=False)


def downgrade():
    op.drop_index('ix_insurance_roster_lines_policy_id', table_name='insurance_roster_lines')
    op.drop_index('ix_insurance_roster_lines_batch_id', table_name='insurance_roster_lines')
    op.drop_table('insurance_roster_lines')
