"""Who may register a client for whom (docs/rules/api.md#api1). Pure: accounts in, refusal code or None out."""
from portal.platform import access

OWNER_ROLES = access.UNIT_STAFF + access.AUTHORITIES
REGISTRAR_ROLES = (access.MINISTRY, access.COUNTY)


def owner_county(owner) -> str | None:
    if owner.role in access.UNIT_STAFF:
        return owner.unit.county_code if owner.unit is not None else None
    return owner.authority.county_code if owner.authority is not None else None


def may_register_for(registrar, owner) -> str | None:
    """None when `registrar` (None: an operator at the command line) may register a client acting for
    `owner`; else why not: the owner must be an active staff or authority account, and a county registers
    only for accounts in its own county (the ministry for any)."""
    if owner is None or not owner.active or owner.role not in OWNER_ROLES:
        return "owner_role"
    if registrar is None or registrar.role == access.MINISTRY:
        return None
    if registrar.role != access.COUNTY or registrar.authority is None:
        return "registrar_role"
    if owner.role in (access.MINISTRY, access.SECTOR_CENTRAL):
        return "owner_outside"
    if owner_county(owner) != registrar.authority.county_code:
        return "owner_outside"
    return None
