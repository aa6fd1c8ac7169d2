"""Reports in the categories of Vietnamese task tracking, and KPI values, from the audit log."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from dondoc.services import report as reporting
from dondoc.services.identity import NotAllowed
from plans.access import Grant, Principal
from storage.audit import AuditLog
from storage.ledger import Ledger
from workflows.messages import OccurrenceEvent

NOW = datetime(2025, 7, 1, 3, 0, tzinfo=UTC)
OFFICE = Principal(account="vp", name="Văn phòng", grants=(Grant(role="office", plan="kh"),))
HEAD_OF_HL = Principal(account="hl", name="UBND Hạ Long",
                       grants=(Grant(role="unit_head", plan="kh", party="HL"),))
OFFICE_FOR_HL = OFFICE.model_copy(update={"acting_for": "HL", "reason": "HL báo qua điện thoại"})
NOBODY = Principal(account="ai-do", name="Ai đó")
DUE = "2025-06-30T23:59:59+07:00"
KPI = {"id": "ttkdtm", "indicator": "Tỷ lệ thanh toán không dùng tiền mặt", "unit": "%",
       "comparator": "≥", "target": "65"}


def write(audit: AuditLog, ref: str, *steps: tuple[str, str | None, dict]) -> None:
    base = datetime(2025, 6, 1, tzinfo=UTC)
    for seq, (type, actor, details) in enumerate(steps, start=1):
        audit.append(OccurrenceEvent(key=f"{ref}#{seq}", ref=ref, plan="kh", type=type,
                                     at=base + timedelta(days=seq), actor=actor,
                                     details=details))


def started(unit: str, leader: str = "pgd", **extra: object) -> tuple[str, None, dict]:
    return ("started", None, {"due": DUE, "lead": [unit], "leader": leader, **extra})


def completed(on_time_extended: bool, on_time_original: bool) -> tuple[str, str, dict]:
    return ("completed", "HL", {"on_time_extended": on_time_extended,
                                "on_time_original": on_time_original,
                                "evidence": {"number": "1/BC", "date": "2025-06-20"}})


@pytest.fixture
def audit(database_url: str) -> AuditLog:
    log = AuditLog(Ledger.connect(database_url).engine)
    log.append(OccurrenceEvent(key="plan:kh#1", ref="kh", plan="kh", type="plan.loaded",
                               at=datetime(2025, 6, 1, tzinfo=UTC), details={
                                   "version": "v1", "parties": ["HL", "CP", "VP", "pgd", "bcd"]}))
    write(log, "kh/T1/HL", started("HL"), completed(True, True))
    write(log, "kh/T1/CP", started("CP"), completed(False, False))
    write(log, "kh/T2/HL", started("HL", leader="pgd2"),
          ("extension.approved", "pgd2", {"due": "2025-07-31T23:59:59+07:00"}),
          completed(True, False))  # on time only thanks to its extension
    write(log, "kh/T2/CP", started("CP", leader="pgd2"))  # overdue and open
    write(log, "kh/T3/HL", started("HL"), ("paused", "VP", {"reason": "Chờ hướng dẫn"}))
    write(log, "kh/T3/CP", started("CP", kpis=[KPI]), ("cancelled", "VP", {"reason": "Bãi bỏ"}))
    write(log, "kh/T4/HL", ("started", None, {"due": "2025-12-31T23:59:59+07:00",
                                              "lead": ["HL"], "leader": "pgd", "kpis": [KPI]}))
    return log


def test_each_category_by_unit_with_on_time_rates(audit):
    data = reporting.build(audit, "kh", by="unit", period=None, now=NOW, principal=OFFICE)
    rows = {r["key"]: r for r in data["rows"]}
    assert {k: {c: rows[k][c] for c in ("done_on_time", "done_late", "open_in_time",
                                        "overdue_open", "paused", "cancelled")}
            for k in rows} == {
        "HL": {"done_on_time": 2, "done_late": 0, "open_in_time": 1, "overdue_open": 0,
               "paused": 1, "cancelled": 0},
        "CP": {"done_on_time": 0, "done_late": 1, "open_in_time": 0, "overdue_open": 1,
               "paused": 0, "cancelled": 1},
    }
    assert (rows["HL"]["on_time_rate"], rows["HL"]["on_time_rate_original"]) == (1.0, 0.5)
    assert rows["CP"]["on_time_rate"] == 0.0


def test_by_leader_and_a_period(audit):
    by_leader = {r["key"]: r for r in reporting.build(audit, "kh", by="leader",
                                                      period="2025-Q2", now=NOW,
                                                      principal=OFFICE)["rows"]}
    assert set(by_leader) == {"pgd", "pgd2"}
    assert by_leader["pgd2"]["overdue_open"] == 1 and by_leader["pgd2"]["done_on_time"] == 0
    # T2/HL's extended deadline is in Q3, so Q2 does not count it.
    assert sum(r["done"] for r in by_leader.values()) == 2


def test_csv_opens_back_with_vietnamese_headers(audit):
    data = reporting.as_csv(reporting.build(audit, "kh", by="unit", period=None, now=NOW, principal=OFFICE))
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][1:3] == ["Hoàn thành đúng hạn", "Hoàn thành quá hạn"]
    assert table[2][0] == "HL" and table[2][-2:] == ["100%", "50%"]


def test_a_kpi_value_is_shown_against_its_target(audit):
    line = reporting.record_kpi(audit, "kh/T4/HL", value="58%", as_of=date(2025, 6, 30),
                                principal=HEAD_OF_HL, kpi_id=None, today=date(2025, 7, 1))
    assert (line["value"], line["target"], line["met"]) == ("58", "65", False)
    reporting.record_kpi(audit, "kh/T4/HL", value="66,5", as_of=date(2025, 7, 1),
                         principal=OFFICE_FOR_HL, kpi_id="ttkdtm", today=date(2025, 7, 1))
    recorded = [e for e in audit.events(ref="kh/T4/HL") if e.type == "kpi.recorded"]
    assert [(e.actor, json.loads(e.details)["operator"]) for e in recorded] == [
        ("HL", "hl"), ("HL", "vp")]
    kpis = reporting.build(audit, "kh", by="unit", period=None, now=NOW, principal=OFFICE)["kpis"]
    mine = next(k for k in kpis if k["ref"] == "kh/T4/HL")
    assert (mine["value"], mine["as_of"], mine["met"]) == ("66.5", "2025-07-01", True)
    assert audit.verify().findings == []


@pytest.mark.parametrize(("ref", "value", "who", "kpi", "message"), [
    ("kh/T9/HL", "58", HEAD_OF_HL, None, "no occurrence 'kh/T9/HL'"),
    ("kh/T1/HL", "58", HEAD_OF_HL, None, "has no KPI to record"),
    ("kh/T4/HL", "năm mươi", HEAD_OF_HL, None, "không phải một số"),
    ("kh/T4/HL", "158", HEAD_OF_HL, None, "không phải tỷ lệ phần trăm"),
    ("kh/T4/HL", "58", HEAD_OF_HL, "sai", "has no KPI 'sai'"),
])
def test_bad_kpi_input_is_refused_and_nothing_is_written(audit, ref, value, who, kpi, message):
    before = len(audit.events())
    with pytest.raises(reporting.ReportError, match=message):
        reporting.record_kpi(audit, ref, value=value, as_of=date(2025, 6, 30), principal=who,
                             kpi_id=kpi, today=date(2025, 7, 1))
    assert len(audit.events()) == before


@pytest.mark.parametrize("who", [NOBODY, OFFICE, OFFICE.model_copy(update={"acting_for": "HL"})])
def test_a_kpi_from_outside_the_table_is_refused(audit, who):
    before = len(audit.events())
    with pytest.raises(NotAllowed):
        reporting.record_kpi(audit, "kh/T4/HL", value="58", as_of=date(2025, 6, 30),
                             principal=who, kpi_id=None, today=date(2025, 7, 1))
    assert len(audit.events()) == before


def test_bad_report_input(audit):
    with pytest.raises(reporting.ReportError, match="no audit rows for plan 'khac'"):
        reporting.build(audit, "khac", by="unit", period=None, now=NOW,
                        principal=OFFICE.model_copy(update={"grants": (Grant(role="office"),)}))
    with pytest.raises(reporting.ReportError, match="is not a period: use 2025, 2025-Q1"):
        reporting.build(audit, "kh", by="unit", period="Q5-2025", now=NOW, principal=OFFICE)


def test_filters_by_unit_and_state(audit):
    data = reporting.build(audit, "kh", by="task", period=None, now=NOW, principal=OFFICE,
                           unit="CP", state="overdue_open")
    assert [(r["key"], r["overdue_open"]) for r in data["rows"]] == [("T2", 1)]
    assert data["units"] == ["CP", "HL"]  # every unit of the plan, to choose from
    with pytest.raises(reporting.ReportError, match=r"no occurrence of unit 'HK'.*did you mean 'HL'"):
        reporting.build(audit, "kh", by="unit", period=None, now=NOW, principal=OFFICE, unit="HK")
    with pytest.raises(reporting.ReportError, match="'late' is not a state"):
        reporting.build(audit, "kh", by="unit", period=None, now=NOW, principal=OFFICE,
                        state="late")


def test_the_workbook_has_vietnamese_headers_percentages_and_dates(audit):
    from openpyxl import load_workbook

    reporting.record_kpi(audit, "kh/T4/HL", value="58", as_of=date(2025, 6, 30),
                         principal=HEAD_OF_HL, kpi_id=None, today=date(2025, 7, 1))
    data = reporting.build(audit, "kh", by="unit", period="2025", now=NOW, principal=OFFICE)
    book = load_workbook(io.BytesIO(reporting.as_xlsx(data | {"title": "Kế hoạch CĐS 2025"})))
    sheet = book["Báo cáo"]
    assert sheet["A1"].value == "Báo cáo kết quả thực hiện Kế hoạch CĐS 2025"
    assert sheet["B2"].value == datetime(2025, 7, 1, 10, 0)  # in Vietnam's time
    assert sheet["B2"].number_format == "dd/mm/yyyy hh:mm"
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r[0] == "Đơn vị"))
    assert rows[header][1:3] == ["Hoàn thành đúng hạn", "Hoàn thành quá hạn"]
    assert rows[header][-1] == "Tỷ lệ đúng hạn (hạn ban đầu)"
    hl = sheet[header + 2 + 1]  # CP first, then HL (1-based rows)
    assert [c.value for c in hl][:5] == ["HL", 2, 0, 1, 0]
    assert (hl[-2].value, hl[-2].number_format, hl[-1].value) == (1.0, "0%", 0.5)
    kpis = [list(r) for r in book["Chỉ tiêu"].iter_rows(values_only=True)]
    assert kpis[0] == ["Nhiệm vụ", "Chỉ tiêu", "Đơn vị tính", "Mục tiêu", "Giá trị mới nhất",
                       "Ngày số liệu", "Kết quả"]
    t4 = next(r for r in kpis if r[0] == "kh/T4/HL")
    assert t4[3:] == ["≥ 65", 58, datetime(2025, 6, 30), "Chưa đạt"]
    assert book["Chỉ tiêu"]["F2"].number_format == "dd/mm/yyyy"
