"""The unit's batch: countersign and issue every prepared performance certificate in a background job.

Each chunk reads its requests and builds the payloads, commits (so SQLite's write lock is not
held while WeasyPrint works), renders the PDFs without touching the database, then stores
them and counts them as done in one short transaction.
"""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.documents.operations import prepare_document, render_document, store_document
from portal.platform import jobs, pdf
from portal.platform.extensions import db

from .documents import request_payload
from .facts import service_summaries
from .models import PERFORMANCE, CertificateRequest, RequestStatus
from .operations import mark_issued
from .rules import performance_eligibility

JOB_KIND = "certificates.issue_prepared"
CHUNK = 10


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def issue_prepared(run: jobs.JobRun) -> dict:
    ids = [int(i) for i in run.params.get("request_ids", [])]
    base_url = run.params.get("base_url")
    unit_id = run.unit_id
    run.set_total(len(ids))
    issued, problems, reserved = 0, [], set()
    for chunk in _chunks(ids, CHUNK):
        user = db.session.get(User, run.user_id) if run.user_id else None
        requests = db.session.scalars(
            select(CertificateRequest).where(CertificateRequest.id.in_(chunk), CertificateRequest.unit_id == unit_id)
            .options(selectinload(CertificateRequest.person), selectinload(CertificateRequest.unit),
                     selectinload(CertificateRequest.prepared_by)).order_by(CertificateRequest.id)).all()
        summaries = service_summaries([r.person_id for r in requests], unit_id)
        prepared = []
        for req in requests:
            if req.status != RequestStatus.PREPARED or req.kind != PERFORMANCE:
                problems.append({"request_id": req.id, "name": req.person.name,
                                 "messages": [_("This request has already been handled.")]})
                continue
            eligibility = performance_eligibility(summaries[req.person_id])
            if not eligibility.eligible:
                problems.append({"request_id": req.id, "name": req.person.name, "messages": eligibility.reasons})
                continue
            payload = request_payload(req, user, summary=summaries[req.person_id])
            prepared.append((req.id, req.person.name, prepare_document(
                PERFORMANCE, req.person, payload, req.unit, base_url=base_url, reserved_codes=reserved)))
        db.session.commit()  # end the read transaction before the slow part
        rendered = []
        for req_id, name, doc in prepared:
            try:
                rendered.append((req_id, doc, render_document(doc)))
            except pdf.MissingGlyphError as exc:
                problems.append({"request_id": req_id, "name": name, "messages": exc.messages()})
        user = db.session.get(User, run.user_id) if run.user_id else None
        for req_id, doc, content in rendered:
            req = db.session.get(CertificateRequest, req_id)
            if req.status != RequestStatus.PREPARED:
                problems.append({"request_id": req_id, "name": req.person.name,
                                 "messages": [_("This request has already been handled.")]})
                continue
            document = store_document(doc, content, issued_by=user)
            mark_issued(req, document, user)
            issued += 1
        run.advance(len(chunk))
    return {"issued": issued, "problems": problems}
