"""A minimal XLSX writer: one sheet of text and numbers, from the standard library.

The statistics table needs nothing more than a header row and rows of counts, and an
Office Open XML workbook of that shape is five small XML parts in a zip.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Final
from xml.sax.saxutils import escape

CellValue = str | int | float | None

_XML: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_OOXML: Final = "http://schemas.openxmlformats.org"
_PKG_NS: Final = f"{_OOXML}/package/2006"
_DOC_REL: Final = f"{_OOXML}/officeDocument/2006/relationships"
_SHEET_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES: Final = (
    f'{_XML}<Types xmlns="{_PKG_NS}/content-types">'
    '<Default Extension="rels"'
    ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_TYPE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml"'
    f' ContentType="{_SHEET_TYPE}.worksheet+xml"/>'
    "</Types>"
)
_RELS: Final = (
    f'{_XML}<Relationships xmlns="{_PKG_NS}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS: Final = (
    f'{_XML}<Relationships xmlns="{_PKG_NS}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_MAIN_NS: Final = f"{_OOXML}/spreadsheetml/2006/main"


def column_name(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _cell(ref: str, value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = escape(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet(rows: Sequence[Sequence[CellValue]]) -> str:
    lines = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{column_name(c)}{r}", v) for c, v in enumerate(row))
        lines.append(f'<row r="{r}">{cells}</row>')
    return (
        f'{_XML}<worksheet xmlns="{_MAIN_NS}"><sheetData>{"".join(lines)}</sheetData></worksheet>'
    )


def workbook(sheet_name: str, rows: Sequence[Sequence[CellValue]]) -> bytes:
    """An .xlsx file holding one sheet named ``sheet_name`` (at most 31 characters)."""
    name = escape(sheet_name[:31], {'"': "&quot;"})
    book = (
        f'{_XML}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_DOC_REL}">'
        f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", book)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", _sheet(rows))
    return buffer.getvalue()
