"""dashboards: completeness per scope and month, indexes for cards and books per year and guided units

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 09:15:28.263611

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_completeness_months',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.SmallInteger(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('id_number', sa.Integer(), nullable=False),
    sa.Column('birth_date', sa.Integer(), nullable=False),
    sa.Column('photo', sa.Integer(), nullable=False),
    sa.Column('training', sa.Integer(), nullable=False),
    sa.Column('record_book', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('insurance', sa.Integer(), nullable=False),
    sa.Column('complete', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'year', 'month', name=op.f('pk_stats_completeness_months'))
    )
    with op.batch_alter_table('honor_cards', schema=None) as batch_op:
        batch_op.create_index('ix_honor_cards_approved', ['approved_on', 'id'], unique=False)
        batch_op.create_index('ix_honor_cards_county_approved', ['county_code', 'approved_on'], unique=False)

    with op.batch_alter_table('record_books', schema=None) as batch_op:
        batch_op.create_index('ix_record_books_unit_issued', ['unit_id', 'issued_on'], unique=False)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_sector_authority_id'), ['sector_authority_id'], unique=False)



def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_sector_authority_id'))

    with op.batch_alter_table('record_books', schema=None) as batch_op:
        batch_op.drop_index('ix_record_books_unit_issued')

    with op.batch_alter_table('honor_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_honor_cards_county_approved')
        batch_op.drop_index('ix_honor_cards_approved')

    op.drop_table('stats_completeness_months')
