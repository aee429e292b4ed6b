"""Writers of the reports' tables as the staff open them: CSV for Excel and XLSX. One
place for every report (the monthly statistics table, the alerts' response times), so
that each download opens the same way."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

Table = Sequence[Sequence[Any]]


def csv_bytes(rows: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headings correctly;
    CRLF line ends, as Excel writes them."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheet_title: str, rows: Table) -> bytes:
    """One sheet named ``sheet_title`` holding ``rows`` (numbers stay numbers)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
