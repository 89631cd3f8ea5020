"""Reading an XLSX download back in tests: the workbook, its file names, inert cells."""

import io
import re
from urllib.parse import unquote

from openpyxl import load_workbook

TRAP = '=HYPERLINK("http://x","y")'


def workbook_of(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


def file_names(response) -> tuple[str, str]:
    """(the UTF-8 name, the ASCII fallback) from Content-Disposition."""
    header = response["Content-Disposition"]
    assert header.startswith("attachment;"), header
    utf8 = unquote(re.search(r"filename\*=UTF-8''([^;]+)", header)[1])
    fallback = re.search(r'filename="([^"]+)"', header)[1]
    return utf8, fallback


def assert_inert(cell) -> None:
    """A text cell that shows the value with the escape in front, never a formula."""
    assert cell.data_type == "s", (cell.coordinate, cell.data_type, cell.value)
    assert cell.value.startswith("'"), (cell.coordinate, cell.value)


def cells_with(sheet, text: str) -> list:
    return [cell for row in sheet.iter_rows() for cell in row if text in str(cell.value or "")]
