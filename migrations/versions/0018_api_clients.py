"""API clients and their access tokens (issue 15: /api/v1, OAuth 2.0 client credentials)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_clients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('registered_by_id', sa.Integer(), nullable=True),
        sa.Column('scopes', sa.String(length=200), nullable=False),
        sa.Column('rate_limit', sa.String(length=40), server_default='', nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('secret_set_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_api_clients_owner_id_users')),
        sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'],
                                name=op.f('fk_api_clients_registered_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
        sa.UniqueConstraint('client_id', name=op.f('uq_api_clients_client_id')),
    )
    op.create_index(op.f('ix_api_clients_owner_id'), 'api_clients', ['owner_id'], unique=False)
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.String(length=200), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_tokens_client_id_api_clients')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_index('ix_api_tokens_client_id', 'api_tokens', ['client_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_api_tokens_client_id', table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index(op.f('ix_api_clients_owner_id'), table_name='api_clients')
    op.drop_table('api_clients')
