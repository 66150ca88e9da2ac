"""Document numbers counted per kind of document, county and ROC year (record books, honor cards)."""
from datetime import date

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from .dates import roc_year
from .extensions import db


class NumberSequence(db.Model):
    """The last number used for one kind of document in one county and ROC year."""
    __tablename__ = "number_sequences"
    __table_args__ = (UniqueConstraint("name", "county_code", "roc_year", name="uq_number_sequences_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    county_code: Mapped[str] = mapped_column(String(3))
    roc_year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


def next_in_sequence(name: str, county_code: str, day: date) -> tuple[int, int]:
    """(ROC year, next number) for `name` in the county, the row locked until the transaction ends
    (FOR UPDATE on PostgreSQL; SQLite write transactions already hold the database lock)."""
    year = roc_year(day)
    sequence = db.session.scalar(select(NumberSequence).where(
        NumberSequence.name == name, NumberSequence.county_code == county_code,
        NumberSequence.roc_year == year).with_for_update())
    if sequence is None:
        sequence = NumberSequence(name=name, county_code=county_code, roc_year=year, last=0)
        db.session.add(sequence)
    sequence.last += 1
    db.session.flush()
    return year, sequence.last
