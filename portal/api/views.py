"""Reference lists: the client's units and the service fields (docs/rules/api.md#api4)."""
from flask import current_app, jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.platform import access, pagination
from portal.registry.catalog import FIELDS
from portal.registry.models import Unit

from .auth import current_client, require_scope
from .blueprint import AUTH_ERRORS, bp, errors, spec_of
from .problems import Problem
from .schemas import FieldListSchema, PageArgs, UnitPageSchema

UNIT_KEYS = (pagination.asc(Unit.id),)


def page_or_400(query, keys, args):
    """A keyset page; a cursor that is not one of this list's answers 400 (a feed must never restart)."""
    cursor = args.get("cursor")
    if cursor and pagination.decode_cursor(list(keys), cursor) is None:
        raise Problem(400, "bad_request", "The cursor is not valid for this list.")
    return pagination.keyset(query, keys, cursor, args["limit"], count=False)


@bp.route("/units", methods=["GET"])
@require_scope()
@bp.arguments(PageArgs, location="query")
@bp.response(200, UnitPageSchema)
@errors(*AUTH_ERRORS, 422)
def units(args):
    """The units in the client's area, in a stable order (cursor-paged)."""
    caller = current_client()
    query = select(Unit).where(caller.unit_condition).options(selectinload(Unit.extra_fields))
    page = page_or_400(query, UNIT_KEYS, args)
    return {"items": [unit_item(u) for u in page.items], "next_cursor": page.next_cursor}


def unit_item(unit: Unit) -> dict:
    return {"code": unit.code, "name": unit.name, "name_en": unit.name_en, "county_code": unit.county_code,
            "field_code": unit.field_code, "field_codes": unit.field_codes, "sector": unit.sector,
            "active": unit.active}


@bp.route("/fields", methods=["GET"])
@require_scope()
@bp.response(200, FieldListSchema)
@errors(*AUTH_ERRORS)
def fields_list():
    """The service fields (Volunteer Service Act Art. 4) with their codes."""
    return {"items": [{"code": f.code, "name": f.name, "name_en": f.name_en} for f in FIELDS]}



@bp.route("/openapi.json", methods=["GET"])
@bp.doc(summary="This OpenAPI document", responses={"200": {"description": "OpenAPI 3.1"}, "429": "TOO_MANY_REQUESTS"})
@access.allow(*access.EVERYONE)
def openapi_json():
    return jsonify(spec_of(current_app))
