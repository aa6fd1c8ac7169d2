"""What counts as evidence of completion, and how KPI values are written in Vietnamese.

Pure: the CLI checks before sending, the occurrence workflow's validator checks again.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

# Số ký hiệu văn bản: number[/year]/KIND-ISSUER[-UNIT]: 123/BC-UBND, 45/BC-SYT,
# 01/2025/QĐ-UBND, 15/CT-TTg, 1234/SYT-KHTC (a công văn: issuer-department).
DOCUMENT_NUMBER = re.compile(
    r"^\d{1,5}(?:/\d{4})?/[A-ZĐ][A-Za-zĐđ]{0,9}(?:-[A-ZĐ0-9][A-Za-zĐđ0-9]{0,11}){1,3}$")
FILE_KINDS = {"pdf": "PDF", "docx": "DOCX", "xlsx": "XLSX", "png": "ảnh PNG", "jpeg": "ảnh JPEG"}
# Units a KPI counts in whole things: documents, cases, people, units ... (a % or an amount of
# money or time may have decimals).
DECIMAL_UNITS = {"%", "đồng", "nghìn đồng", "triệu đồng", "tỷ đồng", "giờ", "ngày", "tháng",
                 "năm", "km", "m2", "ha", "kg", "tấn", "điểm", "lần/năm"}


class BadEvidence(ValueError):
    """Evidence that does not hold: one line for people, `code` for scripts."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def looks_like_document_number(number: str) -> bool:
    return DOCUMENT_NUMBER.fullmatch(number.strip()) is not None


def check_evidence(number: str, day: date, *, has_file: bool, not_before: date | None,
                   today: date) -> None:
    """Refuse a number that is no document number (unless a file is attached), a date before
    the occurrence could start, or a date in the future."""
    if not number.strip() and not has_file:
        raise BadEvidence("bằng chứng cần số ký hiệu văn bản (vd. 123/BC-UBND) hoặc tệp đính kèm",
                          "NoEvidence")
    if number.strip() and not has_file and not looks_like_document_number(number):
        raise BadEvidence(f"'{number}' không phải số ký hiệu văn bản (vd. 123/BC-UBND, "
                          "01/2025/QĐ-UBND); ghi đúng số hoặc đính kèm tệp văn bản",
                          "BadDocumentNumber")
    if day > today:
        raise BadEvidence(f"ngày văn bản {day:%d/%m/%Y} ở tương lai", "FutureEvidence")
    if not_before is not None and day < not_before:
        raise BadEvidence(f"ngày văn bản {day:%d/%m/%Y} trước ngày bắt đầu nhiệm vụ "
                          f"{not_before:%d/%m/%Y}", "BackdatedEvidence")


def parse_kpi_value(text: str, unit: str | None) -> Decimal:
    """'15.754' (dots group thousands) -> 15754; '66,5' -> 66.5; '58%' -> 58 for a % KPI.
    A count (documents, cases ...) must be whole. Raises ValueError with a one-line reason."""
    value = text.strip().replace(" ", "")
    if value.endswith("%"):
        if unit != "%":
            raise ValueError(f"'{text}' là tỷ lệ %, nhưng chỉ tiêu tính bằng {unit or 'số'}")
        value = value[:-1]
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", value):  # 15.754 / 1.234.567,5
        value = value.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d+", value):  # 66,5
        value = value.replace(",", ".")
    elif not re.fullmatch(r"\d+(?:\.\d+)?", value):
        raise ValueError(f"'{text}' không phải một số (vd. 58, 66,5, 15.754, 58%)")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"'{text}' không phải một số") from None
    if unit == "%" and not Decimal(0) <= number <= Decimal(100):
        raise ValueError(f"{text} không phải tỷ lệ phần trăm (0-100)")
    counted = unit is not None and unit.strip().lower() not in DECIMAL_UNITS
    if counted and number != number.to_integral_value():
        raise ValueError(f"{text}: số {unit} phải là số nguyên")
    return number
