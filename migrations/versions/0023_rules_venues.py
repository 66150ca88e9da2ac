"""honor-card numbers as counties write them (issue 17): honor_cards.number_key, the number as compared (full-width
folded, spaces, 第 and 號 dropped, leading zeros of the serial dropped), filled for every existing card, with a
unique index for search and duplicates (docs/rules/honor-cards.md#hc13)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 18:05:00.000000

"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

_DIGITS = re.compile(r"\d+")


def _key(number: str) -> str:
    # The same fold as portal.honor_cards.numbers.number_key at the time of writing (a migration does not import
    # the application, whose code may change after it).
    folded = "".join(unicodedata.normalize("NFKC", number or "").split()).upper()
    folded = folded.translate(str.maketrans("", "", "第號号")).replace("台", "臺")
    return _DIGITS.sub(lambda m: m.group().lstrip("0") or "0", folded)


def upgrade():
    op.add_column('honor_cards', sa.Column('number_key', sa.String(length=30), nullable=True))
    bind = op.get_bind()
    cards = sa.table('honor_cards', sa.column('id', sa.Integer), sa.column('number', sa.String),
                     sa.column('number_key', sa.String))
    rows = bind.execute(sa.select(cards.c.id, cards.c.number)).all()
    for start in range(0, len(rows), 5000):
        bind.execute(cards.update().where(cards.c.id == sa.bindparam('card_id')).values(number_key=sa.bindparam('key')),
                     [{"card_id": card_id, "key": _key(number)} for card_id, number in rows[start:start + 5000]])
    op.create_index('ix_honor_cards_number_key', 'honor_cards', ['number_key'], unique=True)


def downgrade():
    op.drop_index('ix_honor_cards_number_key', table_name='honor_cards')
    op.drop_column('honor_cards', 'number_key')
