"""ID photos (證件照): uploaded through portal/uploads.py, cropped to the 1-inch ratio, accepted by the unit.

A 1-inch photo is 2.5 × 3.5 cm, so every photo is centre-cropped to 5:7 and scaled to at most
500 × 700 pixels, then stored as a clean JPEG. A volunteer's own upload waits for the unit to
accept it; a photo the unit uploads itself counts as accepted. Functions flush, never commit.
"""
import io

from flask_babel import gettext as _
from PIL import Image

from portal.platform import audit, uploads
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

from .models import PHOTO_ACCEPTED, PHOTO_NONE, PHOTO_PENDING, Person

RATIO = (5, 7)
MAX_SIZE = (500, 700)
MIN_SIZE = (100, 140)
PURPOSE = "person_photo"


def crop_to_id_ratio(image: Image.Image) -> Image.Image:
    """Centre-crop to 5:7 (width:height) and scale down to at most 500 × 700."""
    width, height = image.size
    target_w = min(width, height * RATIO[0] // RATIO[1])
    target_h = min(height, width * RATIO[1] // RATIO[0])
    left, top = (width - target_w) // 2, (height - target_h) // 2
    cropped = image.crop((left, top, left + target_w, top + target_h))
    if cropped.width > MAX_SIZE[0]:
        cropped = cropped.resize(MAX_SIZE, Image.LANCZOS)
    return cropped


def prepare_photo(filename: str, data: bytes) -> uploads.CheckedFile:
    """Every upload check of portal/uploads.py, then the crop; UploadRefused with a reason otherwise."""
    checked = uploads.check_file(filename, data)
    if checked.kind not in ("jpeg", "png"):
        raise uploads.UploadRefused(checked.display_name, _("An ID photo must be a JPEG or PNG image."))
    with Image.open(io.BytesIO(checked.data)) as image:
        image.load()
        cropped = crop_to_id_ratio(image.convert("RGB"))
    if cropped.width < MIN_SIZE[0] or cropped.height < MIN_SIZE[1]:
        raise uploads.UploadRefused(checked.display_name, _(
            "The photo is too small: after cropping to the 1-inch shape it needs at least %(w)d × %(h)d pixels.",
            w=MIN_SIZE[0], h=MIN_SIZE[1]))
    out = io.BytesIO()
    cropped.save(out, "JPEG", quality=88, optimize=True)
    name = checked.display_name.rsplit(".", 1)[0] + ".jpg"
    return uploads.CheckedFile("jpeg", out.getvalue(), name, width=cropped.width, height=cropped.height)


def save_photo(person: Person, file_storage, user, accepted: bool):
    """Store the cropped photo as the person's photo: pending (volunteer) or accepted (unit)."""
    data = uploads.read_limited(file_storage.stream)
    stored = uploads.store(prepare_photo(file_storage.filename, data), PURPOSE, getattr(user, "id", None))
    previous = (person.photo_file_id, person.photo_status)
    person.photo_file_id = stored.id
    person.photo_status = PHOTO_ACCEPTED if accepted else PHOTO_PENDING
    person.photo_uploaded_at = utcnow()
    person.photo_reviewed_at = utcnow() if accepted else None
    person.photo_reviewed_by_id = getattr(user, "id", None) if accepted else None
    person.photo_note = ""
    audit.record("person.photo_upload", person, file_id=[previous[0], stored.id],
                 status=[previous[1], person.photo_status], sha256=stored.sha256)
    return stored


def review_photo(person: Person, accept: bool, note: str, user):
    """The unit accepts the waiting photo, or refuses it with a note for the volunteer."""
    if person.photo_status != PHOTO_PENDING:
        raise ValueError(_("There is no photo waiting for acceptance."))
    person.photo_status = PHOTO_ACCEPTED if accept else PHOTO_NONE
    person.photo_reviewed_at, person.photo_reviewed_by_id = utcnow(), getattr(user, "id", None)
    person.photo_note = "" if accept else note
    if not accept:
        person.photo_file_id = None
    audit.record("person.photo_accept" if accept else "person.photo_refuse", person, note=note)


def photo_file(person: Person):
    if person.photo_file_id is None:
        return None
    return db.session.get(uploads.StoredFile, person.photo_file_id)


_placeholder: dict = {}


def placeholder_photo() -> bytes:
    """A plain grey 5:7 image with a head-and-shoulders outline, shown where no photo exists."""
    if "jpeg" not in _placeholder:
        from PIL import ImageDraw
        image = Image.new("RGB", (250, 350), "#e9edf2")
        draw = ImageDraw.Draw(image)
        draw.ellipse((80, 70, 170, 170), fill="#b8c2cd")
        draw.ellipse((40, 190, 210, 400), fill="#b8c2cd")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        _placeholder["jpeg"] = out.getvalue()
    return _placeholder["jpeg"]
