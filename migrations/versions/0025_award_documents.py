"""award documents (issue 16): awards.document_id, the award's certificate (document kind "award") with its
verifiable credential. Awards given before stay without one until `flask awards issue-documents`
(docs/rules/credentials.md#vc10): a migration does not render PDFs.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_awards_document_id_documents', 'documents', ['document_id'], ['id'])


def downgrade():
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_constraint('fk_awards_document_id_documents', type_='foreignkey')
        batch_op.drop_column('document_id')
