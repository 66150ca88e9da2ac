"""The certificates as documents: the payloads of the performance certificate, the English certificate
and the transcript (everything printed, snapshotted in the register), and their document kinds."""
from collections import defaultdict
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.documents.kinds import DocumentKind
from portal.documents.models import Document
from portal.documents.operations import field_name, field_name_en
from portal.platform.timeutil import today_taipei
from portal.registry.identity import mask_id
from portal.registry.models import Person, Unit

from .facts import HoursSource, service_summary, training_rows, units_by_id
from .models import ENGLISH_CERTIFICATE, ENGLISH_TRANSCRIPT, PERFORMANCE, CertificateRequest
from .rules import ServiceSummary

PURPOSE_LABELS = {
    "exchange": _l("Exchange programme"), "study": _l("School or university application"),
    "visa": _l("Visa or residence application"), "work": _l("Job application"), "other": _l("Other"),
}
PURPOSE_LABELS_EN = {"exchange": "Exchange programme", "study": "School or university application",
                     "visa": "Visa or residence application", "work": "Job application", "other": "Other"}


def display_name(user) -> str:
    """The name a certificate prints for a signing user."""
    return (getattr(user, "display_name", "") or getattr(user, "username", "")) if user else ""


def performance_payload(person: Person, unit: Unit, summary: ServiceSummary, *, prepared_by: str,
                        countersigned_by: str, until: date | None = None) -> dict:
    fields = list(dict.fromkeys(p.field_code for p in summary.periods)) or [unit.field_code]
    return {
        "name": person.name, "name_latin": person.name_latin or "", "id_masked": mask_id(person.id_number),
        "unit_name": unit.name, "unit_name_en": unit.name_en or "", "unit_code": unit.code,
        "fields": [field_name(code) for code in fields],
        "first_service_date": summary.first_service_date.isoformat() if summary.first_service_date else None,
        "until": (until or today_taipei()).isoformat(),
        "total_half_hours": summary.total_half_hours,
        "prepared_by": prepared_by, "countersigned_by": countersigned_by,
    }


def english_payload(person: Person, issuer: Unit, summary: ServiceSummary, *, purpose: str = "",
                    purpose_note: str = "", approved_by: str = "") -> dict:
    units = units_by_id(summary.unit_ids())
    periods = [{
        "unit_name_en": units[p.unit_id].name_en, "unit_name": units[p.unit_id].name,
        "field_en": field_name_en(p.field_code),
        "from": p.joined_on.isoformat(), "to": p.left_on.isoformat() if p.left_on else None,
        "half_hours": p.half_hours,
    } for p in summary.periods]
    return {
        "name_latin": person.name_latin, "name": person.name,
        "issuer_name_en": issuer.name_en, "issuer_name": issuer.name,
        "periods": periods, "total_half_hours": summary.total_half_hours,
        "first_service_date": summary.first_service_date.isoformat() if summary.first_service_date else None,
        "last_service_date": summary.last_service_date.isoformat() if summary.last_service_date else None,
        "purpose": purpose, "purpose_note": purpose_note, "approved_by": approved_by,
    }


def transcript_payload(person: Person, issuer: Unit, summary: ServiceSummary, *, purpose: str = "",
                       purpose_note: str = "", approved_by: str = "") -> dict:
    payload = english_payload(person, issuer, summary, purpose=purpose, purpose_note=purpose_note,
                              approved_by=approved_by)
    units = units_by_id(r.unit_id for r in summary.rows)
    years: dict[int, list] = defaultdict(list)
    for r in summary.rows:
        years[r.year].append({"unit_name_en": units[r.unit_id].name_en, "unit_name": units[r.unit_id].name,
                              "field_en": field_name_en(r.field_code), "half_hours": r.half_hours})
    payload["years"] = [{"year": y, "rows": rows, "half_hours": sum(r["half_hours"] for r in rows)}
                        for y, rows in sorted(years.items())]
    payload["training"] = training_rows(person.id)
    return payload


def request_payload(req: CertificateRequest, user, *, hours_source: HoursSource | None = None,
                    summary: ServiceSummary | None = None) -> dict:
    """The payload of the document a request leads to, signed by `user` (countersigning or approving)."""
    person, unit = req.person, req.unit
    if req.kind == PERFORMANCE:
        summary = summary or service_summary(person.id, unit.id, hours_source=hours_source)
        return performance_payload(person, unit, summary, prepared_by=display_name(req.prepared_by),
                                   countersigned_by=display_name(user))
    summary = summary or service_summary(person.id, hours_source=hours_source)
    build = english_payload if req.kind == ENGLISH_CERTIFICATE else transcript_payload
    return build(person, unit, summary, purpose=PURPOSE_LABELS_EN.get(req.purpose, ""),
                 purpose_note=req.purpose_note, approved_by=display_name(user))


def rebuild_request_document(document: Document, user) -> dict:
    """Reissue of a certificate: the current record, signed by the person reissuing it."""
    person, unit, old = document.person, document.unit, document.payload
    if document.kind == PERFORMANCE:
        summary = service_summary(person.id, unit.id)
        return performance_payload(person, unit, summary, prepared_by=old.get("prepared_by", ""),
                                   countersigned_by=display_name(user) or old.get("countersigned_by", ""))
    summary = service_summary(person.id)
    build = english_payload if document.kind == ENGLISH_CERTIFICATE else transcript_payload
    return build(person, unit, summary, purpose=old.get("purpose", ""), purpose_note=old.get("purpose_note", ""),
                 approved_by=display_name(user) or old.get("approved_by", ""))


PERFORMANCE_KIND = DocumentKind(PERFORMANCE, _l("Performance certificate"), "pdf/performance_certificate.html",
                                "zh_TW", "performance-certificate", rebuild_request_document)
ENGLISH_CERTIFICATE_KIND = DocumentKind(ENGLISH_CERTIFICATE, _l("Certificate of Volunteer Service (English)"),
                                        "pdf/english_certificate.html", "en", "certificate-of-volunteer-service",
                                        rebuild_request_document)
ENGLISH_TRANSCRIPT_KIND = DocumentKind(ENGLISH_TRANSCRIPT, _l("Volunteer service transcript (English)"),
                                       "pdf/english_transcript.html", "en", "volunteer-service-transcript",
                                       rebuild_request_document)
