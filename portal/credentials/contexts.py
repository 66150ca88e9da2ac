"""The JSON-LD contexts the portal's credentials use, bundled in the package: signing and verifying never fetch
anything from the network (docs/rules/credentials.md#vc3). Any other URL is refused."""
import json
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"

FILES = {VC_V2: "credentials-v2.jsonld", OB_V3: "ob-v3p0-3.0.3.jsonld", MULTIKEY_V1: "multikey-v1.jsonld"}


class UnknownContext(ValueError):
    """A document named a context the portal does not bundle."""


@cache
def context(url: str) -> dict:
    if url not in FILES:
        raise UnknownContext(url)
    return json.loads((FOLDER / FILES[url]).read_text(encoding="utf-8"))


def document_loader(url, _options=None) -> dict:
    """pyld's document loader: the bundled copy, or an error (never the network)."""
    return {"contextUrl": None, "documentUrl": url, "document": context(url)}
