"""A report as PDF (R6.3): the same sheets as its XLSX, as tables, in ReportLab with its
built-in CID font STSong-Light (renders Chinese with no font file to ship)."""

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from campuscode.core.spreadsheets import Sheet

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def pdf_bytes(*, title: str, lines: list[str], sheets: list[Sheet]) -> bytes:
    font = _font()
    heading = ParagraphStyle("h", fontName=font, fontSize=15, leading=20, spaceAfter=4)
    subheading = ParagraphStyle("h2", fontName=font, fontSize=11, leading=15, spaceBefore=8)
    body = ParagraphStyle("p", fontName=font, fontSize=9, leading=13)
    story = [Paragraph(title, heading), *[Paragraph(line, body) for line in lines]]
    for sheet in sheets:
        rows = [list(sheet.headers), *(list(row) for row in sheet.rows)]
        columns = max(len(row) for row in rows)
        size = 8 if columns <= 10 else 6
        table = Table(
            [["" if cell is None else str(cell) for cell in row] for row in rows],
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font, size),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f4f6")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#d1d5db")),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        story += [Paragraph(sheet.title, subheading), Spacer(1, 2 * mm), table]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
    )
    document.build(story)
    return buffer.getvalue()
