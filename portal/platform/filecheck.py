"""Checking an uploaded file before anything is written (docs/rules/platform.md#pl1):
name → size → virus scanner → extension allowlist → type by content (magic bytes) →
no web-page code → a full parse (Pillow for images, pikepdf for PDFs). Images are re-encoded
without metadata (docs/rules/platform.md#pl10), PDFs re-saved by pikepdf without active content
(pdfclean.py); only that clean copy goes on to storage (uploads.py).
Each refusal carries a message in the user's language. No database, no files written here."""
import io
import os
import subprocess
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from .pdfclean import MAX_OBJECTS as MAX_PDF_OBJECTS
from .pdfclean import MAX_PAGES as MAX_PDF_PAGES
from .pdfclean import PdfRefused, clean_pdf

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_NAME_CHARS = 255
DISPLAY_NAME_CHARS = 100
THUMBNAIL_PX = 320
PDFTOPPM_TIMEOUT = 20

# kind -> (MIME type, extension we store under)
KINDS = {"pdf": ("application/pdf", ".pdf"), "jpeg": ("image/jpeg", ".jpg"), "png": ("image/png", ".png")}
EXTENSIONS = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Markers of HTML/script that have no business in a certificate; browsers sniff for them.
MARKUP = (b"<script", b"<html", b"<!doctype html", b"<iframe", b"<svg", b"<?php", b"<body", b"<object")
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

KIND_LABELS = {"pdf": _l("PDF"), "jpeg": _l("JPEG image"), "png": _l("PNG image")}
FOREIGN_LABELS = {
    "html": _l("a web page (HTML)"), "svg": _l("an SVG drawing"), "exe": _l("a Windows program"),
    "elf": _l("a Linux program"), "zip": _l("a ZIP archive or Office document"), "gif": _l("a GIF image"),
    "webp": _l("a WebP image"), "ole": _l("an old Office document"), "text": _l("plain text"),
    "unknown": _l("an unknown format"),
}


class UploadRefused(Exception):
    """A file was refused; `reason` says why in the user's language, `name` is safe display text."""

    def __init__(self, name: str, reason):
        super().__init__(reason)
        self.name = name
        self.reason = reason

    @property
    def message(self) -> str:
        return str(_l("%(name)s was not accepted: %(reason)s", name=self.name or "?", reason=self.reason))


@dataclass
class CheckedFile:
    """A file that passed every check: the clean bytes to store and what we learnt about it."""
    kind: str
    data: bytes
    display_name: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    preview: bytes | None = None
    removed: tuple[str, ...] = ()   # active content taken out of a PDF (pdfclean.py)


# --- names --------------------------------------------------------------------------------

def display_name(raw: str | None) -> str:
    """The original name as display text: NFC, no controls, no path, at most 100 characters.

    Names that try to disguise the file (NUL, bidi overrides, folder paths, over 255
    characters) are refused instead of repaired. Never use werkzeug's secure_filename
    here: it strips every Chinese character.
    """
    name = unicodedata.normalize("NFC", raw or "")
    safe = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf")).strip()
    shown = shown_name(name)
    if "\x00" in name or any(unicodedata.category(ch) == "Cc" and ch not in "\t" for ch in name):
        raise UploadRefused(shown, _l("The file name contains control characters. Rename the file and try again."))
    if any(ch in BIDI_CONTROLS for ch in name):
        raise UploadRefused(shown, _l("The file name contains hidden characters that reverse the text direction "
                                      "and can disguise the real file type. Rename the file and try again."))
    if "/" in name or "\\" in name:
        raise UploadRefused(shown, _l("The file name contains a folder path (/ or \\). Rename the file and try again."))
    if len(name) > MAX_NAME_CHARS:
        raise UploadRefused(shown, _l("The file name is longer than %(n)d characters. Shorten it and try again.",
                                      n=MAX_NAME_CHARS))
    if not safe or safe.strip(".") == "":
        raise UploadRefused(shown, _l("The file has no name."))
    if len(safe) > DISPLAY_NAME_CHARS:
        stem, ext = os.path.splitext(safe)
        ext = ext if len(ext) <= 10 else ""
        safe = stem[:DISPLAY_NAME_CHARS - len(ext)] + ext
    return safe


def shown_name(raw: str | None) -> str:
    """Any name made safe to show in a message, even one that display_name() refuses."""
    name = unicodedata.normalize("NFC", raw or "")
    return "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf")).strip()[:DISPLAY_NAME_CHARS]


# --- content ------------------------------------------------------------------------------

def sniff(data: bytes) -> str:
    """The file type from its first bytes: pdf, jpeg, png, or what else it looks like."""
    head = data[:512]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"MZ",)):
        return "exe"
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in lowered:
        return "svg"
    if lowered.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<?xml", b"<")):
        return "html"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown"


def default_scanner(data: bytes) -> str | None:
    """Stands in for clamd where no signatures can be downloaded: knows the EICAR test file."""
    return "EICAR-Test-File" if EICAR in data else None


def read_limited(stream, limit: int = MAX_BYTES) -> bytes:
    """Up to limit+1 bytes, so that an oversized file is detected without reading all of it."""
    chunks, total = [], 0
    while total <= limit:
        chunk = stream.read(min(65536, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def check_file(filename: str | None, data: bytes) -> CheckedFile:
    """Run every check on one file; return the clean copy or raise UploadRefused."""
    name = display_name(filename)
    if not data:
        raise UploadRefused(name, _l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise UploadRefused(name, _l("The file is larger than %(n)d MiB.", n=MAX_BYTES // (1024 * 1024)))
    scanner = current_app.config.get("UPLOAD_SCANNER") or default_scanner
    threat = scanner(data)
    if threat:
        raise UploadRefused(name, _l("The virus scanner flagged this file (%(threat)s).", threat=threat))
    wanted = EXTENSIONS.get(os.path.splitext(name)[1].lower())
    if wanted is None:
        raise UploadRefused(name, _l("Only PDF, JPEG and PNG files are accepted (names ending in .pdf, .jpg, "
                                     ".jpeg or .png)."))
    kind = sniff(data)
    if kind not in KINDS:
        raise UploadRefused(name, _l("The content of this file is not a PDF, JPEG or PNG, whatever its name says "
                                     "(it looks like %(what)s).", what=FOREIGN_LABELS.get(kind, kind)))
    if kind != wanted:
        raise UploadRefused(name, _l("The name ends in %(ext)s but the content is a %(kind)s. Save the file "
                                     "again with the right ending.", ext=os.path.splitext(name)[1],
                                     kind=KIND_LABELS[kind]))
    lowered = data.lower()
    if any(marker in lowered for marker in MARKUP):
        raise UploadRefused(name, _l("The file contains web-page code (HTML or script) hidden inside it."))
    checked = check_pdf(name, data) if kind == "pdf" else check_image(name, data, kind)
    checked.preview = make_preview(checked)
    return checked


def check_image(name: str, data: bytes, kind: str) -> CheckedFile:
    """Header size check before decoding, verify(), full decode, then a re-encode without metadata."""
    fmt = "JPEG" if kind == "jpeg" else "PNG"
    damaged = _l("The image is damaged or incomplete. Scan or export it again.")
    if not _image_is_complete(data, kind):
        raise UploadRefused(name, damaged)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels(name, width, height)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                image.load()
                clean = ImageOps.exif_transpose(image)
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(name, _l("The image has far too many pixels (at most %(n)d megapixels).",
                                     n=MAX_PIXELS // 1_000_000)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UploadRefused(name, damaged) from None
    clean.info = {}
    out = io.BytesIO()
    if kind == "jpeg":
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=90, optimize=True)
    else:
        if clean.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
            clean = clean.convert("RGBA")
        clean.save(out, "PNG", optimize=True)
    return CheckedFile(kind, out.getvalue(), name, width=clean.width, height=clean.height)


def _image_is_complete(data: bytes, kind: str) -> bool:
    """The end marker comes after the image data. Pillow cannot be trusted to notice a cut-off file:
    WeasyPrint sets the process-wide ImageFile.LOAD_TRUNCATED_IMAGES = True when it is imported."""
    if kind == "jpeg":
        return data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") >= 0
    return data.rfind(b"IEND") > data.rfind(b"IDAT") >= 0


def _too_many_pixels(name, width, height):
    return UploadRefused(name, _l("The image is %(w)d × %(h)d pixels; at most %(n)d megapixels are accepted.",
                                  w=width, h=height, n=MAX_PIXELS // 1_000_000))


def check_pdf(name: str, data: bytes) -> CheckedFile:
    """Parsed by pikepdf and re-saved without active content (pdfclean.py), or refused."""
    config = current_app.config
    try:
        clean = clean_pdf(data, max_pages=config.get("UPLOAD_MAX_PDF_PAGES", MAX_PDF_PAGES),
                          max_objects=config.get("UPLOAD_MAX_PDF_OBJECTS", MAX_PDF_OBJECTS))
    except PdfRefused as refused:
        raise UploadRefused(name, refused.reason) from None
    return CheckedFile("pdf", clean.data, name, pages=clean.pages, removed=clean.removed)


def make_preview(checked: CheckedFile) -> bytes | None:
    """A small PNG: the image itself, or the first page of a PDF rendered by poppler's pdftoppm."""
    try:
        if checked.kind == "pdf":
            with tempfile.TemporaryDirectory() as tmp:
                source = Path(tmp) / "in.pdf"
                source.write_bytes(checked.data)
                subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to",
                                str(THUMBNAIL_PX), str(source), str(Path(tmp) / "page")],
                               check=True, capture_output=True, timeout=PDFTOPPM_TIMEOUT)
                raw = (Path(tmp) / "page.png").read_bytes()
        else:
            raw = checked.data
        with Image.open(io.BytesIO(raw)) as image:
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            out = io.BytesIO()
            image.save(out, "PNG", optimize=True)
            return out.getvalue()
    except (OSError, subprocess.SubprocessError, ValueError):
        current_app.logger.warning("no preview for an uploaded %s", checked.kind)
        return None
