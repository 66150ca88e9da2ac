"""Which import batches a user may see: those written into the user's own unit (or authority)."""
from flask import abort
from sqlalchemy import false, select

from portal.platform import access
from portal.platform.extensions import db

from .models import ImportBatch


def batch_scope(user):
    if user.role in access.UNIT_STAFF and user.unit_id:
        return ImportBatch.unit_id == user.unit_id
    if user.role == access.COUNTY and user.authority_id:
        return ImportBatch.authority_id == user.authority_id
    return false()


def get_batch_or_404(batch_id: int, user) -> ImportBatch:
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id, batch_scope(user)))
    if batch is None:
        abort(404)
    return batch
