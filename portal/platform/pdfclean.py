"""An uploaded PDF made inert before it is stored (docs/rules/platform.md#pl10).

A certificate or letter is a page to look at. Whatever a viewer would run, open or fetch by itself is
removed: JavaScript (the name tree and every /JS), automatic actions (/OpenAction, /AA), actions that
launch programs or open other files (/Launch, /GoToR, /GoToE, /ImportData, /SubmitForm, /Thread, media
renditions), links whose target is not http, https or mailto (`javascript:`, `file:`, a UNC path
`\\\\host\\share`: opening one sends the reader's Windows password hash to that host, the "BadPDF" leak),
embedded and associated files, file-attachment and rich-media annotations, XFA forms, streams whose data
lives in another file and reference XObjects. Ordinary links, bookmarks and form fields stay.

The structure is bounded before anything is walked (objects, pages, nesting), the cleaned copy is written
by qpdf without decoding stream data (a compressed bomb is copied, never inflated), and that copy is read
again and must show nothing active, else the file is refused. No database, no files written here.
"""
import io
import re
import warnings
from dataclasses import dataclass

import pikepdf
from flask_babel import lazy_gettext as _l

MAX_OBJECTS = 200_000
MAX_DEPTH = 64          # direct nesting of arrays and dictionaries; real files stay below 10
MAX_PAGES = 50

# Keys whose value is script, an automatic action, an embedded file or an XFA form: removed wherever found.
REMOVED_KEYS = frozenset({"/JS", "/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/EF", "/AF", "/XFA",
                          "/Collection", "/RichMediaContent", "/RichMediaSettings", "/NeedsRendering"})
# Action types (/S) that run something, open another file or document, or send data away.
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/GoToR", "/GoToE", "/ImportData", "/SubmitForm",
                            "/Thread", "/RichMediaExecute", "/Rendition", "/Movie", "/Sound", "/GoTo3DView"})
# Annotations that carry a file or play media: taken off the page and emptied.
ACTIVE_ANNOTATIONS = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"})
# A link may go to a web page or an e-mail address, nowhere else (no file:, javascript:, UNC or relative path).
SAFE_URI = re.compile(r"(?i)(?:https?://[a-z0-9\[]|mailto:[^\s])")
ACTION_KEYS = ("/A", "/Next")


class PdfRefused(Exception):
    """The PDF cannot be accepted; `reason` says why in the user's language."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass
class CleanPdf:
    data: bytes
    pages: int
    removed: tuple[str, ...]


def clean_pdf(data: bytes, max_pages: int = MAX_PAGES, max_objects: int = MAX_OBJECTS) -> CleanPdf:
    """The PDF re-saved without active content, or PdfRefused."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # qpdf's repair notes are not reasons to refuse
        if b"%%EOF" not in data:  # every complete PDF ends so; what follows is dropped by the re-save
            raise PdfRefused(_l("The PDF is incomplete or damaged (the end of the file is missing). Download "
                                "or export it again."))
        pdf = _open(data)
        with pdf:
            _check_structure(pdf, max_pages, max_objects)
            removed = _walk(pdf, fix=True)
            out = io.BytesIO()
            try:
                pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none)
            except (pikepdf.PdfError, RuntimeError):
                raise PdfRefused(_damaged()) from None
        with _open(out.getvalue()) as again:  # the copy we store, read back as a viewer would
            left = _walk(again, fix=False)
            pages = len(again.pages)
        if left:
            raise PdfRefused(_l("The PDF contains active content that could not be removed (%(what)s). Print it "
                                "to a new PDF and upload that.", what=", ".join(sorted(left))))
    return CleanPdf(out.getvalue(), pages, tuple(sorted(removed)))


def find_active(data: bytes) -> set[str]:
    """What in a PDF would run, open or fetch something (empty for a clean one); for checks and tests."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _open(data) as pdf:
            return _walk(pdf, fix=False)


def _open(data: bytes) -> pikepdf.Pdf:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise PdfRefused(_encrypted()) from None
    except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
        if "Loop detected in /Pages" in str(exc):  # qpdf's own guard against a page tree that repeats
            raise _repeated_pages() from None
        raise PdfRefused(_damaged()) from None
    if pdf.is_encrypted:
        pdf.close()
        raise PdfRefused(_encrypted())
    return pdf


def _check_structure(pdf: pikepdf.Pdf, max_pages: int, max_objects: int):
    """Object count (the trailer's claim first, then what qpdf found) and pages, counted without qpdf's
    page list: a page tree whose nodes repeat or loop would make that list enormous or endless."""
    size = pdf.trailer.get("/Size")
    if (isinstance(size, int) and size > max_objects + 1) or len(pdf.objects) > max_objects:
        shown = format(max_objects, ",")
        raise PdfRefused(_l("The PDF is made of more than %(n)s objects, far more than a certificate needs.",
                            n=shown))
    pages = _count_pages(pdf, max_pages)
    if pages == 0:
        raise PdfRefused(_damaged())
    if any("max-nesting" in note for note in pdf.get_warnings()):
        raise _too_deep()


def _count_pages(pdf: pikepdf.Pdf, max_pages: int) -> int:
    root = pdf.Root.get("/Pages")
    declared = root.get("/Count") if isinstance(root, pikepdf.Dictionary) else None
    stack, seen, pages = [(root, 0)], set(), 0
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        kids = node.get("/Kids")
        if not isinstance(kids, pikepdf.Array):
            pages += 1
            if pages > max_pages:
                raise _too_many_pages(declared, max_pages)
            continue
        if node.is_indirect:
            if node.objgen in seen:
                raise _repeated_pages()  # a page-tree node reached twice: a loop or a repeat bomb
            seen.add(node.objgen)
        if depth > MAX_DEPTH:
            raise _too_deep()
        if len(kids) > max_pages:
            raise _too_many_pages(declared, max_pages)
        stack.extend((kid, depth + 1) for kid in kids)
    return pages


def _walk(pdf: pikepdf.Pdf, fix: bool) -> set[str]:
    """Every object, each direct child once (indirect ones are visited as objects of their own); with
    `fix`, active content is removed as it is found. Iterative, so no nesting can overflow the stack."""
    found: set[str] = set()
    for top in [pdf.trailer, *pdf.objects]:
        stack = [(top, 1)]  # levels: the object itself is the first
        while stack:
            obj, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise _too_deep()
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                found |= _dictionary(obj, fix)
                children = obj.values()
            elif isinstance(obj, pikepdf.Array):
                children = list(obj)
            else:
                continue
            stack.extend((child, depth + 1) for child in children
                         if isinstance(child, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream))
                         and not child.is_indirect)
    return found


def _dictionary(d, fix: bool) -> set[str]:
    found = set()
    for key in list(d.keys()):
        value = d.get(key)
        if key in REMOVED_KEYS:
            found.add(key)
        elif key in ACTION_KEYS and _active_action(value):
            found.add(_action_label(value))
        elif key == "/Annots" and isinstance(value, pikepdf.Array):
            bad = [i for i, annot in enumerate(value) if _active_annotation(annot)]
            found.update(str(value[i].get("/Subtype")) for i in bad)
            if fix:
                for i in reversed(bad):
                    del value[i]
            continue
        elif key == "/URI" and d.get("/Type") == pikepdf.Name.Catalog:
            found.add("/URI base")
        elif isinstance(d, pikepdf.Stream) and key in ("/F", "/FFilter", "/FDecodeParms"):
            found.add("external stream")
        elif isinstance(d, pikepdf.Stream) and key == "/Ref" and d.get("/Subtype") == pikepdf.Name.Form:
            found.add("reference XObject")
        else:
            continue
        if fix:
            del d[key]
    if _active_action(d) or _active_annotation(d):
        found.add(_action_label(d) if _active_action(d) else str(d.get("/Subtype")))
        if fix:  # reachable by some other key: emptied, it does nothing
            for key in list(d.keys()):
                del d[key]
    return found


def _active_action(value) -> bool:
    if isinstance(value, pikepdf.Array):
        return any(_active_action(item) for item in value)
    if not isinstance(value, pikepdf.Dictionary):
        return False
    kind = value.get("/S")
    if not isinstance(kind, pikepdf.Name):
        return False
    if str(kind) == "/URI":
        return not _safe_uri(value.get("/URI"))
    return str(kind) in ACTIVE_ACTIONS


def _safe_uri(uri) -> bool:
    if not isinstance(uri, pikepdf.String):
        return False
    try:
        text = str(uri).strip()  # PDFDocEncoding or UTF-16, as the viewer reads it
    except (UnicodeDecodeError, ValueError):
        return False
    if "\\" in text or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in text):
        return False
    return bool(SAFE_URI.match(text))


def _active_annotation(value) -> bool:
    return (isinstance(value, pikepdf.Dictionary)
            and isinstance(value.get("/Subtype"), pikepdf.Name)
            and str(value.get("/Subtype")) in ACTIVE_ANNOTATIONS)


def _action_label(value) -> str:
    if isinstance(value, pikepdf.Array):
        return next((_action_label(item) for item in value if _active_action(item)), "/Next")
    kind = str(value.get("/S"))
    if kind == "/URI":
        uri = value.get("/URI")
        text = bytes(uri).decode("latin-1").strip() if isinstance(uri, pikepdf.String) else ""
        if text.startswith(("\\\\", "//")):
            return "/URI UNC"
        return f"/URI {text.split(':', 1)[0][:12] if ':' in text else 'relative'}"
    return kind


def _damaged():
    return _l("The PDF is damaged and cannot be read.")


def _encrypted():
    return _l("The PDF is password-protected or encrypted. Save an unprotected copy and upload that.")


def _repeated_pages():
    return PdfRefused(_l("The PDF's page list refers to the same pages again and again (or in a loop); it "
                         "cannot be checked."))


def _too_deep():
    return PdfRefused(_l("The PDF's structure is nested far more deeply than any document needs; it cannot "
                         "be checked."))


def _too_many_pages(declared, max_pages: int) -> PdfRefused:
    if isinstance(declared, int) and declared > max_pages:
        return PdfRefused(_l("The PDF has %(n)d pages; at most %(max)d are accepted.", n=int(declared),
                             max=max_pages))
    return PdfRefused(_l("The PDF has more than %(max)d pages; at most %(max)d are accepted.", max=max_pages))
