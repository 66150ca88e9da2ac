"""resolution tracking: meetings, resolutions, responsible bodies, progress reports, reviews

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 09:04:46.489980

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('resolution_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roc_year', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('chair', sa.String(length=100), nullable=False),
    sa.Column('host', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('roc_year between 1 and 999', name=op.f('ck_resolution_meetings_roc_year_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_resolution_meetings_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resolution_meetings')),
    sa.UniqueConstraint('roc_year', name=op.f('uq_resolution_meetings_roc_year'))
    )
    op.create_table('resolutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closed_meeting_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_reason', sa.String(length=300), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('seq > 0', name=op.f('ck_resolutions_positive_seq')),
    sa.ForeignKeyConstraint(['closed_meeting_id'], ['resolution_meetings.id'], name=op.f('fk_resolutions_closed_meeting_id_resolution_meetings')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_resolutions_created_by_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['resolution_meetings.id'], name=op.f('fk_resolutions_meeting_id_resolution_meetings')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_resolutions_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resolutions')),
    sa.UniqueConstraint('meeting_id', 'seq', name='uq_resolutions_meeting_seq')
    )
    with op.batch_alter_table('resolutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resolutions_closed_meeting_id'), ['closed_meeting_id'], unique=False)
        batch_op.create_index('ix_resolutions_status_meeting', ['status', 'meeting_id', 'seq'], unique=False)

    op.create_table('resolution_bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resolution_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_resolution_bodies_added_by_id_users')),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_resolution_bodies_authority_id_authorities')),
    sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_resolution_bodies_removed_by_id_users')),
    sa.ForeignKeyConstraint(['resolution_id'], ['resolutions.id'], name=op.f('fk_resolution_bodies_resolution_id_resolutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resolution_bodies')),
    sa.UniqueConstraint('resolution_id', 'authority_id', name='uq_resolution_bodies')
    )
    with op.batch_alter_table('resolution_bodies', schema=None) as batch_op:
        batch_op.create_index('ix_resolution_bodies_authority', ['authority_id', 'resolution_id'], unique=False)

    op.create_table('resolution_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resolution_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_resolution_progress_authority_id_authorities')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['users.id'], name=op.f('fk_resolution_progress_posted_by_id_users')),
    sa.ForeignKeyConstraint(['resolution_id'], ['resolutions.id'], name=op.f('fk_resolution_progress_resolution_id_resolutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resolution_progress'))
    )
    with op.batch_alter_table('resolution_progress', schema=None) as batch_op:
        batch_op.create_index('ix_resolution_progress_item', ['resolution_id', 'authority_id', 'reported_on', 'id'], unique=False)

    op.create_table('resolution_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resolution_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_resolution_reviews_decided_by_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['resolution_meetings.id'], name=op.f('fk_resolution_reviews_meeting_id_resolution_meetings')),
    sa.ForeignKeyConstraint(['resolution_id'], ['resolutions.id'], name=op.f('fk_resolution_reviews_resolution_id_resolutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resolution_reviews'))
    )
    with op.batch_alter_table('resolution_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_resolution_reviews_item', ['resolution_id', 'meeting_id', 'id'], unique=False)
        batch_op.create_index('ix_resolution_reviews_meeting', ['meeting_id', 'resolution_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('resolution_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_resolution_reviews_meeting')
        batch_op.drop_index('ix_resolution_reviews_item')

    op.drop_table('resolution_reviews')
    with op.batch_alter_table('resolution_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_resolution_progress_item')

    op.drop_table('resolution_progress')
    with op.batch_alter_table('resolution_bodies', schema=None) as batch_op:
        batch_op.drop_index('ix_resolution_bodies_authority')

    op.drop_table('resolution_bodies')
    with op.batch_alter_table('resolutions', schema=None) as batch_op:
        batch_op.drop_index('ix_resolutions_status_meeting')
        batch_op.drop_index(batch_op.f('ix_resolutions_closed_meeting_id'))

    op.drop_table('resolutions')
    op.drop_table('resolution_meetings')
