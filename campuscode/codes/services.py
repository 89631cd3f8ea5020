import segno

from campuscode.codes.status import current_status
from campuscode.codes.tokens import issue_token


def qr_svg(data: str, *, scale: int = 6, dark: str = "#111") -> str:
    """An inline SVG of `data` as a QR code (no image files, no JavaScript)."""
    return segno.make(data, error="m", micro=False).svg_inline(
        scale=scale, dark=dark, border=3, omitsize=True
    )


def current_code(person) -> dict:
    """A fresh token for `person` with the status it carries, ready for the page."""
    status = current_status(person)
    token = issue_token(person=person, colour=status.colour)
    return {"token": token, "status": status, "svg": qr_svg(token)}
