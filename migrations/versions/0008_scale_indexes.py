"""scale indexes: a volunteer's months by field (index-only), the review queues' keyset orders

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 07:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_hour_months_person', 'hour_months', ['person_id', 'field_code', 'year', 'month'],
                    postgresql_include=['half_hours', 'entries'])
    op.create_index('ix_honor_card_applications_queue', 'honor_card_applications', ['status', 'applied_on', 'id'])
    op.create_index('ix_award_applications_queue', 'award_applications', ['status', 'applied_at', 'id'])


def downgrade():
    op.drop_index('ix_award_applications_queue', table_name='award_applications')
    op.drop_index('ix_honor_card_applications_queue', table_name='honor_card_applications')
    op.drop_index('ix_hour_months_person', table_name='hour_months')
