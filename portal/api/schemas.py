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
