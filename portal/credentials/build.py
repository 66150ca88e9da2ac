"""What a document's credential asserts (docs/rules/credentials.md#vc1, #vc2): a W3C Verifiable Credential 2.0 of
type OpenBadgeCredential (Open Badges 3.0). Pure: plain facts in, the unsigned credential out.

Names are written in both languages in one string ("中文 / English"): Open Badges 3.0 wallets and its JSON schema
expect a plain string there, and a foreign reader needs the English while the Chinese is the legal name.
"""
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from .contexts import OB_V3, VC_V2

# Per document kind: the achievement's name and description in Chinese and English, and its OB 3.0 type.
ACHIEVEMENTS = {
    "performance": (
        "志願服務績效證明書", "Volunteer service performance certificate", "Certificate",
        "運用單位證明志願服務者於該單位之服務期間與時數。",
        "The volunteer-using unit certifies the period and hours of service with it."),
    "english_certificate": (
        "志願服務證明書（英文）", "Certificate of Volunteer Service", "Certificate",
        "服務紀錄之英文證明，列出各服務單位之期間與時數。",
        "An English certificate of the service record: each unit's period and hours."),
    "english_transcript": (
        "志願服務成績單（英文）", "Volunteer Service Transcript", "Transcript",
        "服務紀錄之英文成績單，逐年列出各單位與領域之時數。",
        "An English transcript of the service record: hours per year, unit and field."),
    "record_book": (
        "志願服務紀錄冊", "Volunteer service record book", "Certificate",
        "主管機關核發之志願服務紀錄冊，記載訓練、服務時數、保險與獎勵。",
        "The record book issued by the competent authority: training, hours of service, insurance and awards."),
    "honor_card": (
        "志願服務榮譽卡", "Volunteer service honor card", "Award",
        "服務滿三年且時數達標之志願服務者，由直轄市、縣（市）主管機關核發之榮譽卡。",
        "Issued by the city or county authority to volunteers with three years and the required hours of service."),
    # An award's own name and description replace these (AWARD_KEYS); these name one without them.
    "award": (
        "志願服務獎勵", "Volunteer service award", "Award",
        "主管機關核定或匯入之志願服務獎勵。", "A volunteer service award, approved or recorded by the authority."),
}
HOURS_RESULT = "hours"
# An award's credential asserts the award itself (docs/rules/credentials.md#vc10): its own name, what it is given
# for and the body that gave it, from the award document's payload (these keys).
AWARD = "award"
AWARD_KEYS = ("award_key", "award_name", "award_name_en", "award_description", "award_description_en",
              "awarding_body", "awarding_body_en")


def both(zh: str, en: str) -> str:
    """One string in both languages, Chinese first; one language alone when the other is missing or the same."""
    zh, en = (zh or "").strip(), (en or "").strip()
    if not en or en == zh:
        return zh
    return f"{zh} / {en}" if zh else en


def hours_value(half_hours: int) -> str:
    return f"{half_hours // 2}.5" if half_hours % 2 else str(half_hours // 2)


def xsd_datetime(moment: datetime) -> str:
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def identity_hash(id_number: str, name: str, salt: str) -> str:
    """OB 3.0 IdentityObject hash: 'sha256$' + hex SHA-256 of the national ID (upper case), the name and the salt,
    concatenated (docs/rules/credentials.md#vc2). The ID itself is never written into a credential."""
    return "sha256$" + hashlib.sha256(f"{id_number.upper()}{name}{salt}".encode()).hexdigest()


@dataclass(frozen=True)
class Facts:
    """Everything a credential says, as plain data."""
    kind: str
    base_url: str
    token: str
    did: str
    issuer_name: str
    issuer_name_en: str
    name: str
    name_latin: str
    id_number: str
    issued_at: datetime
    half_hours: int | None
    valid_from: date | None
    valid_to: date | None
    status_url: str
    status_index: int
    award: dict | None = None       # an award document's AWARD_KEYS


def awarding_body_id(name: str) -> str:
    """An awarding body has no address of its own (an imported award may name any body): a name-based UUID URN,
    the same for the same name."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'awarding-body:{name}')}"


def credential(facts: Facts, salt: str | None = None) -> dict:
    zh_name, en_name, achievement_type, zh_text, en_text = ACHIEVEMENTS.get(
        facts.kind, (facts.kind, facts.kind, "Certificate", "", ""))
    salt = salt or secrets.token_hex(16)
    achievement_id = f"{facts.base_url}/credentials/achievements/{facts.kind}"
    award = facts.award
    if award is not None and award.get("award_name") and award.get("award_key"):
        zh_name, en_name, achievement_type = award["award_name"], award.get("award_name_en") or "", "Award"
        zh_text, en_text = award.get("award_description") or "", award.get("award_description_en") or ""
        achievement_id = f"{achievement_id}/{award['award_key']}"
    achievement = {
        "id": achievement_id, "type": ["Achievement"], "achievementType": achievement_type,
        "name": both(zh_name, en_name), "description": both(zh_text, en_text),
        "criteria": {"narrative": both(zh_text, en_text)},
    }
    if award is not None and award.get("awarding_body"):
        body = award["awarding_body"]
        achievement["creator"] = {"id": awarding_body_id(body), "type": ["Profile"],
                                  "name": both(body, award.get("awarding_body_en") or "")}
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "ext:TWNationalIdAndName", "hashed": True,
             "identityHash": identity_hash(facts.id_number, facts.name, salt), "salt": salt},
            {"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": both(facts.name, facts.name_latin)},
        ],
        "achievement": achievement,
    }
    if facts.half_hours is not None:
        result_id = f"{achievement_id}#{HOURS_RESULT}"
        achievement["resultDescription"] = [{"id": result_id, "type": ["ResultDescription"],
                                             "name": "服務時數 / Hours of service", "resultType": "ext:Hours"}]
        subject["result"] = [{"type": ["Result"], "resultDescription": result_id,
                              "value": hours_value(facts.half_hours)}]
    document = {
        "@context": [VC_V2, OB_V3],
        "id": f"{facts.base_url}/verify/{facts.token}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": both(zh_name, en_name),
        "issuer": {"id": facts.did, "type": ["Profile"], "name": both(facts.issuer_name, facts.issuer_name_en),
                   "url": facts.base_url},
        "validFrom": xsd_datetime(facts.issued_at),
        "credentialSubject": subject,
        "credentialStatus": {"id": f"{facts.status_url}#{facts.status_index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(facts.status_index),
                             "statusListCredential": facts.status_url},
    }
    if facts.valid_from is not None:    # a time-limited document (honor card): its own period, Taipei days
        document["validFrom"] = f"{(facts.valid_from).isoformat()}T00:00:00+08:00"
    if facts.valid_to is not None:
        document["validUntil"] = f"{facts.valid_to.isoformat()}T23:59:59+08:00"
    return document


def status_list_credential(url: str, did: str, issuer_name: str, encoded: str, updated: datetime) -> dict:
    """The Bitstring Status List credential of one issuer (statusPurpose revocation)."""
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": did, "name": issuer_name},
        "validFrom": xsd_datetime(updated),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encoded},
    }
