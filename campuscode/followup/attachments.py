"""Photos of medical notes on a follow-up case: checked, stored and served so that an
uploaded file can never act as a page in the reader's session (issue 8).

A PNG with HTML appended is still a valid PNG, so checking that the content is an image is
not enough on its own. Three layers, each sufficient against that file:
- the type is read from the content (Pillow), never from the uploaded name or the browser's
  claimed type, only JPEG, PNG and WebP are kept, and the pixels are saved afresh, which
  also leaves the photo's EXIF (GPS position) behind;
- the stored name is random and its extension is the verified type's, never the upload's;
- serving sniffs the stored file again (files stored before this fix may carry any
  extension), sends the image type with `nosniff` and a `sandbox` CSP, and anything that
  is not one of these images goes out as an opaque download.
"""

import io
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from campuscode.core.rules import get_setting

# Pillow format name → (content type, file extension). What the form's `accept` offers.
IMAGE_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
ACCEPT = ",".join(content_type for content_type, _ext in IMAGE_TYPES.values())
# Nothing in a served file may run, load or frame anything, even if a browser renders it.
SANDBOX_CSP = "sandbox; default-src 'none'"


@dataclass(frozen=True)
class CheckedImage:
    kind: str  # Pillow's format name, a key of IMAGE_TYPES
    content_type: str
    extension: str


def _format_of(handle) -> str | None:
    """The Pillow format of an open file, without decoding the pixels; None if not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(handle) as image:
            return image.format
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        handle.seek(0)


def check_photo(upload) -> CheckedImage:
    """A photo of a medical note: really a JPEG, PNG or WebP, within the school's size and
    pixel limits. Raises ValidationError with code too_large, not_image or too_many_pixels."""
    from PIL import Image, UnidentifiedImageError

    max_mb = get_setting("followup_attachment_max_mb")
    if upload.size > max_mb * 1024 * 1024:
        raise ValidationError(
            _("The photo is larger than %(limit)s MB."),
            code="too_large",
            params={"limit": max_mb},
        )
    max_pixels = get_setting("followup_attachment_max_megapixels") * 1_000_000
    not_image = ValidationError(_("Send a photo (JPEG, PNG or WebP)."), code="not_image")
    too_many = ValidationError(
        _("The photo has more than %(limit)s million pixels; send a smaller one."),
        code="too_many_pixels",
        params={"limit": get_setting("followup_attachment_max_megapixels")},
    )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            # The size is in the header: refuse a huge canvas before anything decodes it.
            if image.width * image.height > max_pixels:
                raise too_many
            kind = image.format
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise not_image from None
    finally:
        upload.seek(0)
    if kind not in IMAGE_TYPES:
        raise not_image
    content_type, extension = IMAGE_TYPES[kind]
    return CheckedImage(kind, content_type, extension)


def _reencoded(upload, kind: str) -> bytes:
    """The photo's pixels saved afresh in its own format: whatever trailed the image (an
    appended page) and its metadata (EXIF with the phone's GPS position, comments) are
    left behind. Turned upright first, since the orientation tag goes with the EXIF."""
    from PIL import Image, ImageOps

    upload.seek(0)
    with Image.open(upload) as image:
        image = ImageOps.exif_transpose(image)
        if kind == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        options = {"quality": 90} if kind in ("JPEG", "WEBP") else {"optimize": True}
        image.save(out, kind, **options)
    upload.seek(0)
    return out.getvalue()


def stored_file(upload) -> ContentFile:
    """The checked upload, re-encoded, under a name made from its verified type: whatever
    the sender called it (`note.html`), a PNG is stored as .png."""
    checked = check_photo(upload)
    name = f"{secrets.token_hex(12)}.{checked.extension}"
    return ContentFile(_reencoded(upload, checked.kind), name=name)


def attachment_response(field_file) -> FileResponse:
    """Serve a stored attachment by what its bytes are, never by its name: an image inline
    with its own type, anything else as an opaque download. Never as a page."""
    handle = field_file.open("rb")
    kind = _format_of(handle)
    if kind in IMAGE_TYPES:
        content_type, extension = IMAGE_TYPES[kind]
        response = FileResponse(handle, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="photo.{extension}"'
    else:
        response = FileResponse(handle, content_type="application/octet-stream")
        response["Content-Disposition"] = 'attachment; filename="attachment.bin"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
