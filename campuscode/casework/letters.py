"""Printable letters (整改通知书, 处分决定书 …) as PDF, with ReportLab's built-in CID font
STSong-Light: Chinese renders without shipping a font file."""

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.http import HttpResponse
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from campuscode.core.spreadsheets import content_disposition

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass(frozen=True)
class Letter:
    title: str  # 整改通知书
    number: str  # 校督整〔2026〕3号
    addressee: str  # 计算机学院：
    paragraphs: Sequence[str]
    basis: str = ""  # 依据 …
    signature: str = ""  # 学校疫情防控督导组
    date: dt.date | None = None
    heading: str = ""  # the school's name above the title
    author: str = ""


def _styles():
    base = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=20, firstLineIndent=24)
    return {
        "heading": ParagraphStyle(
            "heading", parent=base, fontSize=14, alignment=TA_CENTER, firstLineIndent=0
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontSize=20,
            leading=30,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceAfter=6,
        ),
        "number": ParagraphStyle(
            "number", parent=base, alignment=TA_CENTER, firstLineIndent=0, spaceAfter=12
        ),
        "addressee": ParagraphStyle("addressee", parent=base, firstLineIndent=0),
        "body": base,
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT, firstLineIndent=0),
    }


def _p(text: str, style) -> Paragraph:
    # Paragraph reads a small markup; what people typed is text, never markup.
    return Paragraph(escape(str(text), quote=False).replace("\n", "<br/>"), style)


def render_letter(letter: Letter) -> bytes:
    """The letter as PDF bytes (A4)."""
    styles = _styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        topMargin=30 * mm,
        bottomMargin=25 * mm,
        title=f"{letter.title} {letter.number}".strip(),
        author=letter.author or letter.signature,
    )
    story = []
    if letter.heading:
        story.append(_p(letter.heading, styles["heading"]))
    story += [_p(letter.title, styles["title"])]
    if letter.number:
        story.append(_p(letter.number, styles["number"]))
    if letter.addressee:
        story.append(_p(letter.addressee, styles["addressee"]))
    story += [_p(paragraph, styles["body"]) for paragraph in letter.paragraphs if paragraph]
    if letter.basis:
        story.append(_p(letter.basis, styles["body"]))
    story.append(Spacer(1, 16 * mm))
    if letter.signature:
        story.append(_p(letter.signature, styles["right"]))
    if letter.date:
        when = f"{letter.date.year}年{letter.date.month}月{letter.date.day}日"
        story.append(_p(when, styles["right"]))
    document.build(story)
    return buffer.getvalue()


def pdf_response(pdf: bytes, *, filename: str, ascii_filename: str = "") -> HttpResponse:
    """Serve a letter as a download: attachment, no sniffing, not cached."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename, ascii_filename or "letter.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
