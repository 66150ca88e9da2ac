"""credentials (issue 16): the signed credential issued beside each document and each issuer's Bitstring Status List

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'credential_status_lists',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer_key', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('next_index', sa.Integer(), nullable=False),
        sa.Column('encoded', sa.Text(), nullable=False),
        sa.Column('credential', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('issuer_key', name='uq_credential_status_lists_issuer'),
    )
    op.create_table(
        'credentials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('status_list_id', sa.Integer(), nullable=False),
        sa.Column('status_index', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=60), nullable=False),
        sa.Column('credential', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.ForeignKeyConstraint(['status_list_id'], ['credential_status_lists.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('document_id'),
    )


def downgrade():
    op.drop_table('credentials')
    op.drop_table('credential_status_lists')
