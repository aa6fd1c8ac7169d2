"""Evidence a thanh tra would accept, and KPI values as Vietnamese offices write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from plans.evidence import BadEvidence, check_evidence, looks_like_document_number, parse_kpi_value

TODAY = date(2025, 6, 30)


@pytest.mark.parametrize("number", ["123/BC-UBND", "45/BC-SYT", "01/2025/QĐ-UBND",
                                    "15/CT-TTg", "1234/SYT-KHTC", "500/KH-SYT", "7/BC-TTYT",
                                    "68/NQ-HĐND", "2345/UBND-VX"])
def test_real_document_numbers_are_accepted(number: str):
    assert looks_like_document_number(number)
    check_evidence(number, TODAY, has_file=False, not_before=date(2025, 2, 10), today=TODAY)


@pytest.mark.parametrize("number", ["đã xong", "45/BC", "BC-UBND", "123", "số 12", "12/bc-ubnd",
                                    "123/BC-UBND ngày 28/3", ""])
def test_anything_else_needs_the_document_attached(number: str):
    with pytest.raises(BadEvidence) as refused:
        check_evidence(number, TODAY, has_file=False, not_before=None, today=TODAY)
    assert refused.value.code in ("BadDocumentNumber", "NoEvidence")
    check_evidence(number, TODAY, has_file=True, not_before=None, today=TODAY)  # with the file


@pytest.mark.parametrize(("day", "code"), [
    (date(2025, 7, 1), "FutureEvidence"),          # tomorrow
    (date(2025, 2, 9), "BackdatedEvidence"),       # before the plan was issued
    (date(2019, 5, 1), "BackdatedEvidence"),       # years before
])
def test_a_document_dated_outside_the_task_is_refused(day: date, code: str):
    with pytest.raises(BadEvidence) as refused:
        check_evidence("12/BC-UBND", day, has_file=True, not_before=date(2025, 2, 10),
                       today=TODAY)
    assert refused.value.code == code and "/" in str(refused.value)


@pytest.mark.parametrize(("text", "unit", "value"), [
    ("15.754", "ca", Decimal(15754)),          # dots group thousands
    ("1.234.567", "hồ sơ", Decimal(1234567)),
    ("58%", "%", Decimal(58)),
    ("66,5", "%", Decimal("66.5")),             # a comma is the decimal mark
    ("58.5", "%", Decimal("58.5")),             # not three digits after the dot: a decimal
    ("3000", "ca", Decimal(3000)),
    ("2,5", "tỷ đồng", Decimal("2.5")),
    ("0,65", None, Decimal("0.65")),
])
def test_kpi_values_as_offices_write_them(text: str, unit: str | None, value: Decimal):
    assert parse_kpi_value(text, unit) == value


@pytest.mark.parametrize(("text", "unit", "says"), [
    ("12,5", "văn bản", "phải là số nguyên"),   # half a document
    ("3,5", "ca", "phải là số nguyên"),
    ("158", "%", "0-100"),
    ("58%", "ca", "là tỷ lệ %"),
    ("năm mươi", "%", "không phải một số"),
    ("-3", "ca", "không phải một số"),
])
def test_kpi_values_that_cannot_be(text: str, unit: str | None, says: str):
    with pytest.raises(ValueError, match=says):
        parse_kpi_value(text, unit)
