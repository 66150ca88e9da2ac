"""Request and response shapes of /api/v1 (marshmallow; the OpenAPI document is made from them).
Unknown fields are refused (marshmallow's RAISE, its default)."""
from marshmallow import Schema, fields, validate

CURSOR = fields.String(validate=validate.Length(max=400),
                       metadata={"description": "Opaque; from `next_cursor` of the previous page"})


class PageArgs(Schema):
    cursor = CURSOR
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class UnitSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String()
    county_code = fields.String(required=True)
    field_code = fields.String(required=True)
    field_codes = fields.List(fields.String(), metadata={"description": "Main field first"})
    sector = fields.String()
    active = fields.Boolean()


class UnitPageSchema(Schema):
    items = fields.List(fields.Nested(UnitSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class FieldSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)


class FieldListSchema(Schema):
    items = fields.List(fields.Nested(FieldSchema), required=True)


class StatusArgs(Schema):
    purpose = fields.String(required=True, validate=validate.Length(min=2, max=100),
                            metadata={"description": "Why the partner asks (recorded in the audit trail)"})


class MembershipSchema(Schema):
    unit_code = fields.String(required=True)
    field_code = fields.String(required=True)
    status = fields.String(required=True)
    joined_on = fields.Date(required=True)


class TrainingSchema(Schema):
    field_code = fields.String(required=True)
    basic_complete = fields.Boolean(required=True)
    special_complete = fields.Boolean(required=True)
    special_by_record_book = fields.Boolean(required=True)


class RecordBookSchema(Schema):
    holds = fields.Boolean(required=True)
    issued_on = fields.Date(allow_none=True, required=True)


class VolunteerStatusSchema(Schema):
    national_id_masked = fields.String(required=True)
    name_masked = fields.String(required=True)
    as_of = fields.Date(required=True, metadata={"description": "Taipei calendar day"})
    memberships = fields.List(fields.Nested(MembershipSchema), required=True)
    training = fields.List(fields.Nested(TrainingSchema), required=True)
    record_book = fields.Nested(RecordBookSchema, required=True)
    insured_today = fields.Boolean(required=True)
    honor_card_valid = fields.Boolean(required=True)


class CredentialStatusSchema(Schema):
    """The document's verifiable credential as the portal's check sees it (docs/rules/credentials.md#vc6, #vc7)."""
    state = fields.String(required=True, metadata={
        "enum": ["valid", "revoked", "superseded", "expired", "not_yet_valid", "invalid"],
        "description": "revoked / superseded: its bit in the issuer's status list is set (the register says why)"})
    id = fields.String(required=True, metadata={"description": "The credential's id: the document's verification "
                                                               "address"})
    url = fields.String(required=True, metadata={"description": "Where the signed credential (JSON-LD) is served"})
    verified = fields.Boolean(required=True)
    signature = fields.Boolean(required=True)
    key = fields.String(required=True, metadata={"enum": ["current", "retired", "unknown"]})
    key_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["valid", "revoked", "unknown"],
                                                    "description": "The bit in the issuer's status list"})
    period = fields.String(required=True, metadata={"enum": ["valid", "expired", "not_yet_valid", "unknown"]})
    document_state = fields.String(allow_none=True, required=True,
                                   metadata={"enum": ["valid", "expired", "revoked", "superseded", None]})
    problems = fields.List(fields.String(), required=True, metadata={"description": "Empty when verified"})


class DocumentStatusSchema(Schema):
    state = fields.String(required=True, metadata={"enum": ["valid", "expired", "revoked", "superseded"]})
    kind = fields.String(required=True)
    masked_name = fields.String(required=True)
    issuer = fields.String(required=True)
    valid_from = fields.Date(allow_none=True, required=True)
    valid_to = fields.Date(allow_none=True, required=True)
    first_issued_on = fields.Date(allow_none=True, required=True)
    generated_on = fields.Date(allow_none=True, required=True)
    revoked_on = fields.Date(allow_none=True, required=True)
    superseded_on = fields.Date(allow_none=True, required=True)
    credential_status = fields.Nested(CredentialStatusSchema, allow_none=True, required=True,
                                      metadata={"description": "The document's verifiable credential (issue 16); "
                                                               "null for a document issued without one"})


class ChangeSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "Position in the feed"})
    changed_at = fields.DateTime(required=True, metadata={"description": "UTC"})
    action = fields.String(required=True, metadata={"example": "hours.create"})
    kind = fields.String(required=True, metadata={"enum": ["hour_entry", "membership", "document"]})
    object_id = fields.Integer(required=True)
    unit_code = fields.String(required=True)
    national_id_masked = fields.String(required=True)


class ChangePageSchema(Schema):
    items = fields.List(fields.Nested(ChangeSchema), required=True)
    next_cursor = fields.String(required=True, metadata={"description": "Send it back to read on; keep it"})
    has_more = fields.Boolean(required=True)
