"""Report tables as files: CSV and XLSX for the dashboard, PDF for the national table.

Pure functions of already computed tables; the views check who may ask for them.
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import get_language
from openpyxl import Workbook
from openpyxl.styles import Font
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from cases.documents.render import FONT_FILES, fonts_dir
from cases.models import Level
from cases.reports.statistics import NationalTable, ReportTable

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def table_csv(table: ReportTable) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the diacritics right."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if v is None else str(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(table: ReportTable, *, filters_text: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    if filters_text:
        sheet.append([filters_text])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append([c.label for c in table.columns])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_plain(v) for v in row])
    for index, column in enumerate(table.columns, start=1):
        if column.key.endswith("percent"):
            for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=index, max_col=index):
                cell.number_format = "0.00"
        letter = sheet.cell(row=header_row, column=index).column_letter
        widest = max([len(str(column.label))] + [len(str(r[index - 1])) for r in table.rows[:500]])
        sheet.column_dimensions[letter].width = min(max(widest + 2, 8), 60)
    if table.note:
        sheet.append([])
        sheet.append([table.note])
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def national_table_pdf(
    table: NationalTable, *, title: str, subtitle: str, scope: str, generated_on: datetime.date
) -> bytes:
    """The national table on landscape A4, in the shipped Tinos font."""
    faces = []
    for (weight, style), filename in FONT_FILES.items():
        path = fonts_dir() / filename
        if not path.is_file():
            raise FileNotFoundError(f"document font missing: {path}")
        faces.append({"weight": weight, "style": style, "url": path.resolve().as_uri()})
    html: str = render_to_string(
        "reports/national_table_pdf.html",
        {
            "table": table,
            "title": title,
            "subtitle": subtitle,
            "scope": scope,
            "generated_on": generated_on,
            "font_faces": faces,
            "level_labels": [Level(lv).label for lv in table.levels],
            "language": get_language() or settings.LANGUAGE_CODE,
        },
    )
    html = unicodedata.normalize("NFC", html)
    base_url = Path(settings.BASE_DIR).resolve().as_uri() + "/"
    pdf: bytes = HTML(string=html, base_url=base_url).write_pdf(font_config=FontConfiguration())
    return pdf
