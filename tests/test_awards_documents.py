"""An awarded award is an issued document (docs/rules/awards.md#a11, docs/rules/credentials.md#vc10): the ministry's
approval and an authority's import issue its bilingual certificate and credential in their transaction, the
ministry's revocation revokes both, the volunteer downloads them from the award's page, /verify/<token> shows it,
and `flask awards issue-documents` issues those of earlier awards."""
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.awards import documents as award_documents
from portal.awards.models import Award
from portal.credentials import verify
from portal.credentials.models import Credential
from portal.documents.models import Document
from portal.documents.operations import document_file
from portal.platform.extensions import db
from tests.conftest import login
from tests.test_awards import approved_award, english
from tests.test_awards import ready as ready  # noqa: F401  (the fixture)
from tests.test_awards_import import confirm, latest, row, upload, xlsx

# Set AWARD_PDF_DIR to keep the rendered certificate for a look (pdftoppm -png -r 60).
KEEP = os.environ.get("AWARD_PDF_DIR")


def credential_of(document) -> dict:
    return db.session.scalar(select(Credential.credential).where(Credential.document_id == document.id))


def test_approval_issues_the_certificate_and_credential_and_revocation_revokes_them(app, ready, client):
    award = approved_award(client, ready)
    document = db.session.get(Document, award.document_id)
    assert (document.kind, document.status, document.person_id) == ("award", "valid", award.person_id)
    assert document.authority_id == ready.users["ministry"].authority_id and document.unit_id is None
    payload = document.payload
    assert payload["award_name"] == "衛生福利志願服務獎勵：銅質徽章" and payload["award_id"] == award.id
    assert payload["award_name_en"] == "Health and welfare volunteer award: bronze badge"
    assert payload["total_half_hours"] == award.half_hours == document.total_half_hours
    assert payload["round"].startswith("115年度") or payload["round"].endswith("衛生福利志願服務獎勵")
    content = document_file(document)
    assert content.startswith(b"%PDF")
    if KEEP:
        Path(KEEP, "award-approved.pdf").write_bytes(content)
    credential = credential_of(document)
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["name"] == "衛生福利志願服務獎勵：銅質徽章 / Health and welfare volunteer award: bronze badge"
    assert achievement["achievementType"] == "Award" and achievement["id"].endswith("/award/health_welfare-bronze")
    assert achievement["creator"]["name"].startswith(ready.users["ministry"].authority.name)
    assert achievement["creator"]["id"].startswith("urn:uuid:")
    assert credential["credentialSubject"]["result"][0]["value"] == "1500"
    assert verify.check(credential).verified
    # The volunteer's awards and the award's page: the PDF, the credential and its QR.
    login(english(client), ready.users["volunteer"])
    mine = client.get("/awards/mine").get_data(as_text=True)
    assert f"/documents/{document.id}/download" in mine and f"/documents/{document.id}/credential.json" in mine
    page = client.get(f"/awards/{award.id}").get_data(as_text=True)
    assert "Award certificate" in page and f"/documents/{document.id}/credential-qr.png" in page
    assert client.get(f"/documents/{document.id}/download").data == content
    # The public page, like any other kind.
    public = client.get(f"/verify/{document.token}").get_data(as_text=True)
    assert "Award certificate" in public and "Awarded by" in public and "bronze badge" in public
    # The ministry revokes the award: its certificate and its credential follow in the same step.
    login(client, ready.users["ministry"])
    client.post(f"/awards/{award.id}/revoke", data={"version": award.version, "reason": "資料不實", "confirm": "1"})
    db.session.expire_all()
    document = db.session.get(Document, award.document_id)
    assert (document.status, document.revoke_reason) == ("revoked", "資料不實")
    assert verify.check(credential).problems == [verify.REVOKED]
    assert verify.credential_status(document)["state"] == "revoked"
    assert "Revoked" in client.get(f"/verify/{document.token}", headers={"Accept-Language": "en"}).get_data(
        as_text=True)


def test_an_award_certificate_is_not_revoked_alone(app, ready, client):
    """The register never calls a certificate revoked while its award stands: no button on the document's page,
    and a POST to its revoke address is refused with the way to do it; an ordinary document still has both."""
    award = approved_award(client, ready)
    document = db.session.get(Document, award.document_id)
    login(english(client), ready.users["ministry"])
    assert f"/documents/{document.id}/revoke" not in client.get(f"/documents/{document.id}").get_data(as_text=True)
    answer = client.post(f"/documents/{document.id}/revoke", data={"version": document.version, "reason": "x"},
                         follow_redirects=True)
    assert "revoke the award on its own page" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Document, award.document_id).status == "valid"
    assert db.session.get(Award, award.id).revoked_at is None


def test_a_unit_clerk_sees_the_award_but_not_the_ministrys_certificate(app, ready, client):
    award = approved_award(client, ready)
    login(client, ready.users["clerk_a"])
    page = client.get(f"/awards/{award.id}")
    assert page.status_code == 200 and f"/documents/{award.document_id}/download" not in page.get_data(as_text=True)
    assert client.get(f"/documents/{award.document_id}/download").status_code == 404


def test_imported_awards_get_their_certificates_from_the_importing_authority(world, client):
    county = world.users["county_tpe"]
    a, shared = world.people["a"], world.people["shared"]
    login(client, county)
    upload(client, "113年其他獎項.xlsx", xlsx([row(a), row(shared, title="文化部志願服務獎", tier="", issuer="文化部",
                                                          year=2023, awarded_on="")]))
    assert confirm(client, latest()).status_code == 302
    awards = db.session.scalars(select(Award).order_by(Award.id)).all()
    docs = [db.session.get(Document, w.document_id) for w in awards]
    assert [d.authority_id for d in docs] == [county.authority_id] * 2
    assert [d.payload["award_name"] for d in docs] == ["教育部志願服務績優獎 金質", "文化部志願服務獎"]
    assert all("total_half_hours" not in d.payload and d.total_half_hours is None for d in docs)
    if KEEP:
        Path(KEEP, "award-imported.pdf").write_bytes(document_file(docs[1]))
    credential = credential_of(docs[1])
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["name"] == "文化部志願服務獎" and achievement["creator"]["name"] == "文化部"
    assert "result" not in credential["credentialSubject"] and verify.check(credential).verified
    # The same award of the same body names the same achievement; another body's, another.
    assert award_documents.award_key(awards[1]) == award_documents.award_key(awards[1])
    assert award_documents.award_key(awards[0]) != award_documents.award_key(awards[1])


def test_an_unprintable_name_keeps_the_award_and_the_command_issues_it_later(app, ready, client, monkeypatch):
    from portal.platform import pdf

    def refuse(*args, **kwargs):
        raise pdf.MissingGlyphError([])
    monkeypatch.setattr(pdf, "render_pdf", refuse)
    award = approved_award(client, ready)
    assert award.status == "valid" and award.document_id is None
    assert "No certificate has been issued" in english(client).get(f"/awards/{award.id}").get_data(as_text=True)
    monkeypatch.undo()
    earlier = Award(person_id=ready.people["shared"].id, scheme="other", title="績優志工", issuer="臺北市政府",
                    year=2020)                          # as an award given before migration 0025
    db.session.add(earlier)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["awards", "issue-documents"])
    assert result.exit_code == 0 and "2 award certificates issued, 0 could not be printed" in result.output
    db.session.expire_all()
    assert all(w.document_id for w in db.session.scalars(select(Award)))
    assert app.test_cli_runner().invoke(args=["awards", "issue-documents"]).output.startswith("0 award")


@pytest.mark.parametrize("status", ["valid", "revoked"])
def test_the_api_gives_the_award_credentials_state(app, ready, client, status):
    award = approved_award(client, ready)
    if status == "revoked":
        login(client, ready.users["ministry"])
        client.post(f"/awards/{award.id}/revoke", data={"version": award.version, "reason": "x", "confirm": "1"})
    document = db.session.get(Document, award.document_id)
    body = client.get(f"/api/v1/documents/{document.token}").get_json()
    assert body["kind"] == "award" and body["state"] == status
    assert body["credential_status"]["state"] == status
    assert body["credential_status"]["url"].endswith(f"/verify/{document.token}/credential.json")
    assert json.dumps(body)
