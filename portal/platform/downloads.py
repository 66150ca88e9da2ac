"""Every file the portal sends goes out through `send` (docs/rules/platform.md#pl10): uploaded files,
issued PDFs, exports, import templates and problem lists.

The content type is one the portal produces, chosen by the code from the file's verified type, never
from what an upload claimed; the name's ending follows that type. The name is generated from display
text but cannot carry a header or a path: no control or direction characters, quotes, slashes or
characters that Windows refuses. It is sent both ways RFC 6266 allows: `filename="…"` in plain ASCII
for old clients and `filename*=UTF-8''…` with the Chinese name percent-encoded. `nosniff` and a
sandboxing CSP keep a browser from treating any file as a page of our origin.
"""
import os
import re
import unicodedata
from urllib.parse import quote

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What the portal serves: content type → the endings a name of that type may have (the first is added).
SERVED = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "text/csv": (".csv",),
    "application/zip": (".zip",),
    "application/json": (".json",),
    XLSX: (".xlsx",),
}
MAX_NAME = 120
SANDBOX = "sandbox; default-src 'none'"
# Characters a file name must not carry into a header or onto a disk: quotes and backslash (header
# syntax), slashes (paths), Windows' reserved set, separators of header parameters.
_UNSAFE = re.compile(r'["\\/:*?<>|;,]')
_NOT_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(filename: str | None, mimetype: str) -> str:
    """Display text made into a file name of the type: NFC, no controls, no path, the type's ending."""
    endings = SERVED[mimetype]
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = "".join(" " if unicodedata.category(ch) in ("Zl", "Zp", "Zs") else ch for ch in name
                   if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    stem, ending = os.path.splitext(name)
    if ending.lower() in endings:
        name, ending = stem, ending.lower()
    else:
        ending = endings[0]
    name = name[:MAX_NAME - len(ending)].strip(" .") or "download"
    return name + ending


def ascii_fallback(name: str) -> str:
    """The same name in ASCII letters, digits, '.', '_' and '-' (accents dropped, other scripts → '_')."""
    stem, ending = os.path.splitext(name)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = _NOT_FALLBACK.sub("_", ascii_stem).strip("._-")
    return (ascii_stem or "download") + ending


def disposition(name: str, inline: bool = False) -> str:
    """A Content-Disposition value for a name already made safe by safe_name."""
    return (f'{"inline" if inline else "attachment"}; filename="{ascii_fallback(name)}"; '
            f"filename*=UTF-8''{quote(name, safe='')}")


def send(body, filename: str | None, mimetype: str, inline: bool = False, length: int | None = None) -> Response:
    """The response for a file: bytes or an iterator of chunks, a generated name, the verified type.

    `inline` only for an image shown by an <img> of our own pages (the ID photo); everything else is an
    attachment. Raises KeyError for a type the portal does not serve.
    """
    name = safe_name(filename, mimetype)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = disposition(name, inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["Cache-Control"] = "no-store"
    if length is not None:
        response.headers["Content-Length"] = str(length)
    return response
