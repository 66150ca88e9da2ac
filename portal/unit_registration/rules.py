"""Unit registration rules (docs/rules/unit-registration.md), pure: facts in, decision out; no database,
no request."""
from portal.platform import access

# UR2: the authorities that decide a unit's application: the county (主管機關) of the unit's county for every
# field, and the local sector authority (地方目的事業主管機關) of the unit's county and main field.
DECIDERS = (access.COUNTY, access.SECTOR_LOCAL)
RETURN_REASON_MAX = 300
REFERENCE_SEQUENCE = "unit_application"   # platform.numbering names (per county and ROC year)
UNIT_CODE_SEQUENCE = "unit_code"


def may_decide(role: str, authority_county: str | None, authority_field: str | None,
               county_code: str, main_field: str) -> bool:
    """UR2: the county of the unit's county, or the local sector authority of its county and main field."""
    if role == access.COUNTY:
        return authority_county is not None and authority_county == county_code
    if role == access.SECTOR_LOCAL:
        return (authority_county is not None and authority_county == county_code
                and authority_field is not None and authority_field == main_field)
    return False


def reference_number(county_code: str, roc_year: int, number: int) -> str:
    """UR1: the reference the applicant quotes, UR-<county>-<ROC year>-<5-digit sequence per county and year>,
    e.g. UR-TPE-115-00001."""
    return f"UR-{county_code}-{roc_year:03d}-{number:05d}"


def unit_code(county_code: str, roc_year: int, number: int) -> str:
    """UR3: a registered unit's code when the authority does not give one: <county>-<ROC year of registration>-
    <4-digit sequence per county and year>, e.g. TPE-115-0001 (the demo's and the national set's codes put a
    field abbreviation where this puts the year, so the two never collide)."""
    return f"{county_code}-{roc_year:03d}-{number:04d}"


def supervisor_username(code: str) -> str:
    """UR3: the first supervisor's username when the authority does not choose one: the unit code in lower
    case and ".supervisor" (tpe-115-0001.supervisor), within the account form's alphabet."""
    return f"{code.lower()}.supervisor"


def fields_of(main: str, further) -> list[str]:
    """The unit's fields: the main one first, each further one once, the main one not repeated."""
    return [main] + [code for code in dict.fromkeys(further or ()) if code and code != main]
