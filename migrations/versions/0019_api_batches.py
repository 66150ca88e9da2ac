"""api_batches (issue 15): the hour and award batches API clients sent, their idempotency keys and the answers
they got

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = '0018'     # api_clients (API clients and tokens)


def upgrade():
    op.create_table('api_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('authority_id', sa.Integer(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('written', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('half_hours', sa.Integer(), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_api_batches_authority_id_authorities')),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_batches_client_id_api_clients')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_api_batches_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_api_batches_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_batches'))
    )
    with op.batch_alter_table('api_batches', schema=None) as batch_op:
        batch_op.create_index('ix_api_batches_client', ['client_id', 'id'], unique=False)
        batch_op.create_index('uq_api_batches_committed_key', ['client_id', 'idempotency_key'], unique=True, sqlite_where=sa.text("status = 'committed'"), postgresql_where=sa.text("status = 'committed'"))


def downgrade():
    with op.batch_alter_table('api_batches', schema=None) as batch_op:
        batch_op.drop_index('uq_api_batches_committed_key', sqlite_where=sa.text("status = 'committed'"), postgresql_where=sa.text("status = 'committed'"))
        batch_op.drop_index('ix_api_batches_client')

    op.drop_table('api_batches')
