"""The Vietnamese deadline grammar, against the phrases real plans use."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from plans.calendar import WorkingCalendar
from plans.deadline import RecurrenceRule, as_contract
from plans.grammar import explain, fold, parse_deadline
from plans.grammar.periods import AfterPeriod, NotRead, read_days_of_period

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DATA = Path(__file__).parents[1] / "data"
QUARTER_ENDS = ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]


def read(text: str, year: int = 2025, issued: date | None = date(2025, 2, 10)) -> dict:
    calendar = WorkingCalendar.vietnam([year])
    deadline = parse_deadline(text, year=year, issued=issued,
                              add_working_days=calendar.add_working_days)
    return as_contract(text, deadline, tz=HCM)


@pytest.mark.parametrize(
    ("text", "kind", "due", "start"),
    [
        # exact dates and limits
        ("30/04/2025", "absolute_date", ["2025-04-30"], None),
        ("ngày 30 tháng 4 năm 2025", "absolute_date", ["2025-04-30"], None),
        ("trước ngày 30/04/2025", "before_date", ["2025-04-30"], None),
        ("Trước ngày 28/2/2025", "before_date", ["2025-02-28"], None),
        ("chậm nhất ngày 15/12/2025", "before_date", ["2025-12-15"], None),
        ("hoàn thành trước ngày 31/8/2025", "before_date", ["2025-08-31"], None),
        ("hoàn thành chậm nhất vào ngày 31/12/2026", "before_date", ["2026-12-31"], None),
        ("trước 15/12", "before_date", ["2025-12-15"], None),
        ("trước 14h00 ngày 28/4", "before_date", ["2025-04-28T14:00:00+07:00"], None),
        ("Gửi báo cáo về Sở Y tế trước ngày 15/12/2025", "before_date", ["2025-12-15"], None),
        # months
        ("Tháng 9", "month", ["2025-09-30"], "2025-09-01"),
        ("tháng 12/2025", "month", ["2025-12-31"], "2025-12-01"),
        ("trong tháng 6 năm 2025", "month", ["2025-06-30"], "2025-06-01"),
        ("tháng 2/2024", "month", ["2024-02-29"], "2024-02-01"),
        ("6/2025", "month", ["2025-06-30"], "2025-06-01"),
        # quarters, with the spellings real documents have
        ("Quý I/2025", "quarter", ["2025-03-31"], "2025-01-01"),
        ("Quý 3", "quarter", ["2025-09-30"], "2025-07-01"),
        ("quý II năm 2026", "quarter", ["2026-06-30"], "2026-04-01"),
        ("Quí IV-2025", "quarter", ["2025-12-31"], "2025-10-01"),
        ("Quý IV2026", "quarter", ["2026-12-31"], "2026-10-01"),
        ("Q1/2025", "quarter", ["2025-03-31"], "2025-01-01"),
        ("quý tư năm 2025", "quarter", ["2025-12-31"], "2025-10-01"),
        # half-years and years
        ("6 tháng đầu năm", "half_year", ["2025-06-30"], "2025-01-01"),
        ("6 tháng cuối năm 2026", "half_year", ["2026-12-31"], "2026-07-01"),
        ("Năm 2025", "year", ["2025-12-31"], "2025-01-01"),
        ("trong năm 2026", "year", ["2026-12-31"], "2026-01-01"),
        ("đến năm 2030", "year", ["2030-12-31"], None),
        # ranges
        ("2025-2030", "year_range", ["2030-12-31"], "2025-01-01"),
        ("giai đoạn 2026-2030", "year_range", ["2030-12-31"], "2026-01-01"),
        ("Quý IV/2025 - Quý II/2026", "year_range", ["2026-06-30"], "2025-10-01"),
        ("từ tháng 10/2025 đến hết tháng 3/2026", "year_range", ["2026-03-31"], "2025-10-01"),
        ("tháng 6-7/2025", "year_range", ["2025-07-31"], "2025-06-01"),
        ("từ 13-23/3/2025", "year_range", ["2025-03-23"], "2025-03-13"),
        # recurrences
        ("hằng quý", "recurring", QUARTER_ENDS, None),
        ("định kỳ hằng quý trước ngày 30 của tháng 03, 06, 09 và trước ngày 15 của tháng 12",
         "recurring", ["2025-03-30", "2025-06-30", "2025-09-30", "2025-12-15"], None),
        ("06 tháng/lần", "recurring", ["2025-06-30", "2025-12-31"], None),
        ("Định kỳ 06 tháng/lần", "recurring", ["2025-06-30", "2025-12-31"], None),
        ("hàng năm trước 10/12", "recurring", ["2025-12-10"], None),
        ("định kỳ hàng năm trước 10/12", "recurring", ["2025-12-10"], None),
        ("trước ngày 5 của tháng đầu quý sau", "recurring",
         ["2025-04-05", "2025-07-05", "2025-10-05", "2026-01-05"], None),
        ("trước ngày 25 của tháng cuối quý", "recurring",
         ["2025-03-25", "2025-06-25", "2025-09-25", "2025-12-25"], None),
        ("Định kỳ hàng quý. Gửi báo cáo trước ngày 30 của tháng 03, 06, 09 và trước ngày 15 "
         "của tháng 12", "recurring", ["2025-03-30", "2025-06-30", "2025-09-30", "2025-12-15"], None),
        ("hàng năm trước 10/12 giai đoạn 2025-2027", "recurring",
         ["2025-12-10", "2026-12-10", "2027-12-10"], None),
        # events and conditions
        ("khi có hướng dẫn", "conditional", [], None),
        ("Khi UBND tỉnh ban hành KH", "conditional", [], None),
        ("(Khi có Kế hoạch của UBND tỉnh)", "conditional", [], None),
        ("trong thời hạn 30 ngày kể từ ngày UBND tỉnh ban hành kế hoạch", "relative_to_event",
         [], None),
        ("trong thời hạn 30 ngày kể từ ngày ký ban hành", "relative_to_event",
         ["2025-03-12"], None),
        # ongoing
        ("Thường xuyên", "ongoing", [], None),
        ("thường xuyên, liên tục", "ongoing", [], None),
        ("từ năm 2026, thường xuyên", "ongoing", [], "2026-01-01"),
    ],
)
def test_reads_the_phrases_plans_use(text: str, kind: str, due: list[str], start: str | None):
    result = read(text)
    assert (result["kind"], result["due"], result["start"]) == (kind, due, start)


def test_monthly_recurrence_lists_every_month_of_the_context_year():
    result = read("trước ngày 20 hằng tháng", year=2026)
    assert result["due"] == [f"2026-{m:02d}-20" for m in range(1, 13)]


def test_combined_monthly_six_monthly_and_yearly_rules_are_one_sorted_list():
    result = read("Báo cáo tháng trước ngày 20 hằng tháng; báo cáo 6 tháng trước ngày 15/6; "
                  "báo cáo năm trước ngày 15/12")
    monthly = [f"2025-{m:02d}-20" for m in range(1, 13)]
    assert result["kind"] == "recurring"
    assert result["due"] == sorted([*monthly, "2025-06-15", "2025-12-15"])


def test_conditions_and_relative_deadlines_name_their_trigger():
    assert read("Khi UBND tỉnh ban hành KH")["event"] == "UBND tỉnh ban hành KH"
    relative = read("trong thời hạn 30 ngày kể từ ngày UBND tỉnh ban hành kế hoạch")
    assert relative["event"] == "UBND tỉnh ban hành kế hoạch"


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2025",  # no such day
        "đầu tháng 7",  # early July: no single date
        "giữa năm 2025",
        "sau ngày 30/4/2025",  # after, not before
        "Theo Kế hoạch số 92/KH-UBND ngày 18/3/2025",  # a cited document's date
        "trước ngày 30/4 hoặc trước ngày 15/5",
        "theo tiến độ dự án",
        # two different due days for the same quarter: not "first one wins"
        "hằng quý; báo cáo trước ngày 30 của tháng 03, 06, 09 và trước ngày 15 của tháng 12",
        "",
    ],
)
def test_says_unknown_rather_than_guess(text: str):
    assert read(text) == {"text": text, "kind": "unknown", "due": [], "event": None,
                          "start": None, "parts": [], "relation": None}


@pytest.mark.parametrize(
    ("text", "relation", "kinds", "due"),
    [
        # two dated parts: each its own obligation (issue 10, family 1)
        ("Quý I/2025, năm 2026", "all", ["quarter", "year"], ["2025-03-31", "2026-12-31"]),
        ("sơ kết năm 2027, tổng kết năm 2030", "all", ["year", "year"],
         ["2027-12-31", "2030-12-31"]),
        ("hoàn thành trong quý II/2025; triển khai trong năm 2026", "all", ["quarter", "year"],
         ["2025-06-30", "2026-12-31"]),
        # lists are several deadlines, never one span (family 2)
        ("tháng 3 và tháng 9/2025", "all", ["month", "month"], ["2025-03-31", "2025-09-30"]),
        ("Quý I, III/2025", "all", ["quarter", "quarter"], ["2025-03-31", "2025-09-30"]),
        ("Quý I, II/2025", "all", ["quarter", "quarter"], ["2025-03-31", "2025-06-30"]),
        ("02 đợt (tháng 5 và tháng 11)", "all", ["month", "month"], ["2025-05-31", "2025-11-30"]),
        ("tháng 11, tháng 12 năm 2025", "all", ["month", "month"], ["2025-11-30", "2025-12-31"]),
        # one schedule per report
        ("Ngày 20 tháng 6: báo cáo 6 tháng; ngày 20 tháng 12: báo cáo năm", None, ["recurring"],
         ["2025-06-20", "2025-12-20"]),
        # a dated part, then ongoing work
        ("Tháng 10/2025 và triển khai thường xuyên", "then", ["month", "ongoing"], ["2025-10-31"]),
        ("Quý III/2025, sau đó duy trì thường xuyên", "then", ["quarter", "ongoing"],
         ["2025-09-30"]),
        # a regular schedule with an ad hoc clause
        ("hằng quý hoặc đột xuất khi có yêu cầu", "or_ad_hoc", ["recurring"], QUARTER_ENDS),
        ("Hằng năm (hoặc theo đề nghị)", "or_ad_hoc", ["recurring"], ["2025-12-31"]),
    ],
)
def test_cells_with_several_parts(text: str, relation: str, kinds: list[str], due: list[str]):
    result = read(text)
    assert (result["relation"], [p["kind"] for p in result["parts"]], result["due"]) == (
        relation, kinds, due)


@pytest.mark.parametrize(
    ("text", "kind", "due", "start"),
    [
        # days of a period (family 4): which month of it, and whether it is the next one
        ("ngày 15 của tháng thứ hai quý sau", "recurring",
         ["2025-05-15", "2025-08-15", "2025-11-15", "2026-02-15"], None),
        ("trước ngày 10 tháng đầu mỗi quý", "recurring",
         ["2025-01-10", "2025-04-10", "2025-07-10", "2025-10-10"], None),
        ("trước ngày 15 tháng cuối mỗi quý", "recurring",
         ["2025-03-15", "2025-06-15", "2025-09-15", "2025-12-15"], None),
        ("trong thời hạn 15 ngày kể từ ngày kết thúc quý", "recurring",
         ["2025-04-15", "2025-07-15", "2025-10-15", "2026-01-15"], None),
        ("30 ngày sau khi kết thúc năm", "recurring", ["2026-01-30"], None),
        # next year (family 5)
        ("trước ngày 31/01 năm sau", "before_date", ["2026-01-31"], None),
        ("tháng 1 của năm tiếp theo", "month", ["2026-01-31"], "2026-01-01"),
        ("quý I của năm liền sau", "quarter", ["2026-03-31"], "2026-01-01"),
        # open starts and spans (family 6)
        ("từ năm 2026 trở đi", "ongoing", [], "2026-01-01"),
        ("Từ quý II/2026", "ongoing", [], "2026-04-01"),
        ("từ tháng 4 đến tháng 9 năm 2025", "year_range", ["2025-09-30"], "2025-04-01"),
        ("từ tháng 5 đến tháng 10 hằng năm", "recurring", ["2025-10-31"], None),
        ("tháng 6 hằng năm", "recurring", ["2025-06-30"], None),
        ("Bắt đầu từ 01/3/2025; kết thúc trước 30/6/2025", "year_range", ["2025-06-30"],
         "2025-03-01"),
        # events, forwards and backwards; a cited document is a condition (family 7)
        ("ít nhất 10 ngày làm việc trước ngày tổ chức", "relative_to_event", [], None),
        ("sau 30 ngày kể từ ngày công bố kết quả", "relative_to_event", [], None),
        ("khi có Thông tư thay thế Thông tư số 12/2020/TT-BYT", "conditional", [], None),
    ],
)
def test_the_families_of_issue_10(text: str, kind: str, due: list[str], start: str | None):
    result = read(text)
    assert (result["kind"], result["due"], result["start"]) == (kind, due, start)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # a word that speaks of time but is not read: the date beside it is not the deadline
        ("Quý III/2025; theo tiến độ dự án", "tiến độ"),
        ("Quý III/2025 theo lộ trình", "lộ trình"),
        ("tháng 9 tới", "tới"),
        ("trước ngày 30/4 mùa khô", "mùa"),
        ("ngày 15 tháng 6 âm lịch", "âm lịch"),
        # a word in no class of the lexicon: named, not skipped
        ("Quý II/2025 nhưng xem xét hoãn", "hoãn"),
        ("tháng 6/2025 rồi điều chỉnh", "rồi"),
    ],
)
def test_a_leftover_word_that_is_not_filler_makes_the_cell_unknown(text: str, named: str):
    deadline = parse_deadline(text, year=2025)
    assert deadline.kind == "unknown"
    assert named in deadline.reason  # type: ignore[union-attr]


def test_task_words_around_a_deadline_are_filler():
    assert read("Gửi báo cáo kết quả về Sở Y tế trước ngày 15/12/2025")["due"] == ["2025-12-15"]
    assert read("xoá nhà tạm, nhà dột nát trước ngày 30/9/2025")["due"] == ["2025-09-30"]
    assert read("hoàn thành đúng tiến độ trong quý II/2025")["due"] == ["2025-06-30"]


@pytest.mark.parametrize(
    "text",
    [
        # whole: ongoing from 2025; in parts: due at the end of 2025, then ongoing
        "2025 và những năm tiếp theo",
        # whole: each year 2025-2030; in parts: the range 2025-2030, then each year
        "trong 5 năm 2025 - 2030, mỗi năm tăng cường ít nhất 1.000 bác sĩ",
    ],
)
def test_a_cell_read_whole_and_in_parts_with_different_dates_is_unknown(text: str):
    deadline = parse_deadline(text, year=2025)
    assert deadline.kind == "unknown"
    assert "two readings" in deadline.reason  # type: ignore[union-attr]


def test_daily_and_weekly_cadences_are_recurrences():
    daily = read("hằng ngày")
    assert daily["kind"] == "recurring" and len(daily["due"]) == 365
    assert daily["parts"][0]["every"] == ["day"]
    fridays = read("hằng tuần vào thứ Sáu")["due"]
    assert len(fridays) == 52 and all(date.fromisoformat(d).isoweekday() == 5 for d in fridays)


@pytest.mark.parametrize(
    ("text", "kind", "due", "start"),
    [
        # each year's report, due the next year
        ("Trước ngày 10 / 01 năm tiếp theo đối với báo cáo năm", "recurring", ["2026-01-10"], None),
        ("định kỳ hằng năm (kỳ báo cáo tính từ ngày 01 tháng 01 đến hết ngày 31 tháng 12) trước "
         "ngày 15 tháng 1 của năm tiếp theo", "recurring", ["2026-01-15"], None),
        # the report a clause names is its cadence, not a second deadline
        ("Trước ngày 05 / 7 hằng năm đối với báo cáo 6 tháng đầu năm", "recurring", ["2025-07-05"],
         None),
        # the date the figures are taken is no obligation; a cadence alone qualifies what follows
        ("thời điểm báo cáo là 31/5, thời hạn gửi báo cáo là 30/6 hàng năm", "recurring",
         ["2025-06-30"], None),
        ("hằng năm, trước ngày 05/12", "recurring", ["2025-12-05"], None),
        # spans of days within a month, their ends joined in words
        ("từ ngày 15 đến 22-10-2025", "year_range", ["2025-10-22"], "2025-10-15"),
        ("trong khoảng thời gian từ 17 đến 20.8", "year_range", ["2025-08-20"], "2025-08-17"),
        ("bắt đầu từ 7 giờ 30 phút ngày 1-4-2025 và kết thúc chậm nhất vào ngày 25-4-2025",
         "year_range", ["2025-04-25"], "2025-04-01"),
        ("triển khai từ ngày 22/11, dự kiến kéo dài đến hết ngày 15/12", "year_range",
         ["2025-12-15"], "2025-11-22"),
        # a limit word earlier in the clause makes the date a limit
        ("hạn chót xác nhận nhập học đợt 1 là 17h ngày 30.8", "before_date",
         ["2025-08-30T17:00:00+07:00"], None),
        ("hoàn thành triển khai hồ sơ bệnh án điện tử vào 31/12/2026", "before_date",
         ["2026-12-31"], None),
        # what cannot be dated stays unknown
        ("chậm nhất vào ngày 16 của tháng cuối kỳ báo cáo", "unknown", [], None),
        ("chậm nhất là 45 ngày kể từ ngày kết thúc 6 tháng đầu năm tài chính", "unknown", [], None),
    ],
)
def test_families_found_in_the_fourth_set(text: str, kind: str, due: list[str], start: str | None):
    result = read(text)
    assert (result["kind"], result["due"], result["start"]) == (kind, due, start)


def test_the_hour_of_a_daily_cadence_is_kept():
    daily = read("trước 16 giờ hằng ngày")
    assert daily["kind"] == "recurring" and len(daily["due"]) == 365
    assert daily["due"][0] == "2025-01-01T16:00:00+07:00"
    assert all(due.endswith("T16:00:00+07:00") for due in daily["due"])


@pytest.mark.parametrize(
    ("text", "weekday"),
    [("trước thứ Hai tuần sau", 1), ("chậm nhất vào thứ Sáu của tuần sau", 5),
     ("hằng tuần, trước thứ Ba tuần kế tiếp", 2)],
)
def test_a_weekday_of_the_next_week_is_each_weeks_deadline(text: str, weekday: int):
    dues = [date.fromisoformat(d) for d in read(text)["due"]]
    assert len(dues) == 52 and all(d.isoweekday() == weekday for d in dues)
    assert dues[0] == date(2025, 1, 5) + timedelta(days=weekday)  # the week of 30/12-5/1, then


@pytest.mark.parametrize(
    ("text", "days"),
    [("trong thời hạn mười lăm ngày kể từ ngày nhận hồ sơ", 15),
     ("ba mươi ngày kể từ ngày nhận được báo cáo", 30),
     ("trong vòng mười (10) ngày kể từ ngày nhận đơn", 10),
     ("hai mươi mốt ngày kể từ ngày ký", 21)],
)
def test_counts_written_in_words(text: str, days: int):
    deadline = parse_deadline(text, year=2025)
    assert deadline.kind == "relative_to_event"
    assert deadline.within == timedelta(days=days)  # type: ignore[union-attr]


def test_words_and_digits_that_disagree_are_unknown():
    assert read("trong vòng mười (15) ngày kể từ ngày nhận đơn")["kind"] == "unknown"


def test_days_after_each_quarter_in_words():
    assert read("trong thời hạn mười lăm ngày kể từ ngày kết thúc quý")["due"] == [
        "2025-04-15", "2025-07-15", "2025-10-15", "2026-01-15"]


def test_an_event_before_which_work_is_due_counts_backwards():
    deadline = parse_deadline("ít nhất 10 ngày làm việc trước ngày tổ chức", year=2025)
    assert deadline.kind == "relative_to_event"
    assert deadline.within_working_days == -10  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "year", "kind", "due"),
    [
        # working days after each month, quarter or year ends, on the Vietnamese calendar
        ("Trong thời hạn 05 ngày làm việc kể từ ngày kết thúc tháng", 2025, "recurring",
         ["2025-02-07", "2025-03-07", "2025-04-08", "2025-05-09", "2025-06-06", "2025-07-07",
          "2025-08-07", "2025-09-09", "2025-10-07", "2025-11-07", "2025-12-05", "2026-01-08"]),
        ("Trong thời hạn 25 ngày làm việc kể từ ngày kết thúc năm", 2025, "recurring", ["2026-02-05"]),
        ("Vào ngày làm việc thứ hai của tháng tiếp theo", 2025, "recurring",
         ["2025-02-04", "2025-03-04", "2025-04-02", "2025-05-06", "2025-06-03", "2025-07-02",
          "2025-08-04", "2025-09-04", "2025-10-02", "2025-11-04", "2025-12-02", "2026-01-05"]),
        ("trong vòng 20 ngày từ khi kết thúc quý", 2021, "recurring",
         ["2021-04-20", "2021-07-20", "2021-10-20", "2022-01-20"]),
        ("Báo cáo quý gửi chậm nhất trong vòng 30 ngày kể từ ngày kết thúc quý và gửi cho Bộ Tài chính",
         2025, "recurring", ["2025-04-30", "2025-07-30", "2025-10-30", "2026-01-30"]),
        # months before or after an event: no date until the event is known
        ("Chậm nhất 02 tháng trước ngày hết nhiệm kỳ", 2025, "relative_to_event", []),
        ("Chậm nhất 6 tháng sau khi Nghị định này có hiệu lực", 2025, "relative_to_event", []),
        # "ngày 12 tháng sau" is a day of the next month, not twelve months
        ("Ngày 12 tháng sau tháng báo cáo", 2025, "recurring",
         [f"2025-{m:02d}-12" for m in range(2, 13)] + ["2026-01-12"]),
        # a day and month of the next year, in words
        ("Trước ngày 20 tháng 01 của năm tiếp theo", 2025, "before_date", ["2026-01-20"]),
        ("chậm nhất ngày 25 tháng 02 của năm sau", 2025, "before_date", ["2026-02-25"]),
        # a period of each year, a month in words, two days a year, "mùng"
        ("Quý I hàng năm", 2025, "recurring", ["2025-03-31"]),
        ("Tháng tư hằng năm", 2025, "recurring", ["2025-04-30"]),
        ("Từ ngày 01/7 đến ngày 15/7 hàng năm", 2025, "recurring", ["2025-07-15"]),
        ("Định kỳ vào ngày 30 tháng 6 và 31 tháng 12 hàng năm", 2025, "recurring",
         ["2025-06-30", "2025-12-31"]),
        ("báo cáo Bộ Tài chính trước ngày mùng 5 của tháng cuối quý", 2025, "recurring",
         ["2025-03-05", "2025-06-05", "2025-09-05", "2025-12-05"]),
        # counts that are not dates, and counts from an event the cell does not name
        ("hằng tháng tư vấn cho người dân", 2025, "recurring",
         [f"2025-{m:02d}-{d}" for m, d in zip(range(1, 13), (31, 28, 31, 30, 31, 30, 31, 31, 30,
                                                             31, 30, 31), strict=True)]),
        ("Trong vòng 7-10 ngày làm việc", 2025, "unknown", []),
        ("Báo cáo quý: Chậm nhất là 30 ngày", 2025, "unknown", []),
        ("Định kỳ ba năm một lần", 2025, "unknown", []),
        ("Trong thời hạn 45 ngày kể từ ngày kết thúc quý II", 2025, "unknown", []),
    ],
)
def test_families_found_in_the_fifth_set(text: str, year: int, kind: str, due: list[str]):
    result = read(text, year)
    assert (result["kind"], result["due"]) == (kind, due)


MONTH_FIFTHS = [f"2025-{m:02d}-05" for m in range(1, 13)]


@pytest.mark.parametrize(
    ("text", "kind", "due"),
    [
        # a purpose clause's year is not the deadline's
        ("chậm nhất ngày 30 tháng 9 hằng năm để lập dự toán năm sau", "recurring", ["2025-09-30"]),
        ("trước ngày 10/11 để xây dựng kế hoạch của năm tới", "before_date", ["2025-11-10"]),
        ("trước ngày 20/6 để kịp triển khai trước ngày 30/6", "unknown", []),
        # the reporting year's day and month is each year's
        ("gửi chậm nhất vào ngày 05 tháng 12 của năm báo cáo", "recurring", ["2025-12-05"]),
        ("trước ngày 10 tháng 6 của kỳ báo cáo", "recurring", ["2025-06-10"]),
        ("trước ngày 15 tháng 3 năm tiếp theo của năm báo cáo", "recurring", ["2026-03-15"]),
        ("chậm nhất ngày 20 tháng 01 năm sau liền kề năm báo cáo", "recurring", ["2026-01-20"]),
        ("trước ngày 10 tháng 5 đối với báo cáo 03 tháng", "recurring", ["2025-05-10"]),
        ("trước ngày 10 tháng 7 đối với báo cáo quý 2 và trước ngày 10 tháng 1 đối với báo cáo "
         "quý 4 hằng năm", "recurring", ["2025-01-10", "2025-07-10"]),
        ("trước ngày 01 tháng 10 đối với báo cáo 09 tháng và trước ngày 20 tháng 12 đối với báo "
         "cáo năm", "recurring", ["2025-10-01", "2025-12-20"]),
        # a year's report due early in a year, the next year not said: which year is not known
        ("trước ngày 20 tháng 02 đối với báo cáo năm", "unknown", []),
        ("ngày 25 tháng 7 đối với báo cáo 6 tháng và ngày 25 tháng 01 đối với báo cáo cả năm",
         "unknown", []),
        ("trước ngày 25 tháng 02 hằng năm đối với kỳ báo cáo năm trước", "recurring", ["2025-02-25"]),
        # the first or last year of a plan's period is not said
        ("Trước ngày 31 tháng 5 của năm đầu giai đoạn kế hoạch", "unknown", []),
        # a day of the first or last month of each quarter
        ("chậm nhất ngày 10 của tháng đầu tiên hằng quý", "recurring",
         ["2025-01-10", "2025-04-10", "2025-07-10", "2025-10-10"]),
        ("trước ngày 18 của tháng cuối cùng hằng quý", "recurring",
         ["2025-03-18", "2025-06-18", "2025-09-18", "2025-12-18"]),
        # every three months is quarterly
        ("định kỳ 03 tháng tổng hợp gửi Sở Y tế", "recurring", QUARTER_ENDS),
        # the first days of each month or quarter
        ("trong vòng 05 ngày đầu tiên của tháng", "recurring", MONTH_FIFTHS),
        ("hằng quý, trong thời hạn 10 ngày đầu của quý", "recurring",
         ["2025-01-10", "2025-04-10", "2025-07-10", "2025-10-10"]),
        ("hằng quý, trong 05 ngày đầu tiên của tháng", "unknown", []),
        ("trong 05 ngày làm việc đầu tiên của tháng", "unknown", []),
        # a schedule, then an ad hoc clause that names what is reported
        ("trước ngày 20 tháng 6 và 20 tháng 12 hằng năm hoặc đột xuất theo yêu cầu", "recurring",
         ["2025-06-20", "2025-12-20"]),
        ("định kỳ hằng quý hoặc báo cáo đột xuất khi có yêu cầu", "recurring", QUARTER_ENDS),
        # sent to someone
        ("hằng năm vào ngày 30/11 gửi tới Bộ Ngoại giao", "recurring", ["2025-11-30"]),
    ],
)
def test_families_found_in_the_sixth_set(text: str, kind: str, due: list[str]):
    result = read(text)
    assert (result["kind"], result["due"]) == (kind, due)


@pytest.mark.parametrize(
    ("text", "kind", "due"),
    [
        ("Hồ sơ gửi chậm nhất 20 ngày tính từ ngày kết thúc quý", "recurring",
         ["2025-04-20", "2025-07-20", "2025-10-20", "2026-01-20"]),
        ("sau 30 ngày kể từ ngày kết thúc 6 tháng đầu năm", "recurring", ["2025-07-30", "2026-01-30"]),
        ("Vào ngày làm việc thứ tư của tháng tiếp theo", "recurring",
         ["2025-02-06", "2025-03-06", "2025-04-04", "2025-05-08", "2025-06-05", "2025-07-04",
          "2025-08-06", "2025-09-08", "2025-10-06", "2025-11-06", "2025-12-04", "2026-01-07"]),
        ("trong 10 ngày đầu của quý kế tiếp", "recurring",
         ["2025-04-10", "2025-07-10", "2025-10-10", "2026-01-10"]),
        # a word that changes the meaning, or a condition, before the count is not a task's word
        ("giữa 10 ngày kể từ ngày kết thúc quý", "unknown", []),
        ("khi có yêu cầu 30 ngày kể từ ngày kết thúc quý", "unknown", []),
        # hours, months, or a period the phrase does not name each time are no days of a period
        ("trong 24 giờ kể từ khi kết thúc tháng", "unknown", []),
        ("30 ngày kể từ ngày kết thúc 3 tháng", "unknown", []),
        ("05 ngày đầu tháng sáu", "unknown", []),
    ],
)
def test_days_counted_from_a_period_are_read_by_the_grammar(text: str, kind: str, due: list[str]):
    result = read(text)
    assert (result["kind"], result["due"]) == (kind, due)


def test_the_period_grammar_leaves_other_families_to_the_passes_and_names_its_refusals():
    assert read_days_of_period(fold("Quý I/2025"), "Quý I/2025") is None
    text = "trong 05 ngày làm việc đầu tiên của tháng"
    assert read_days_of_period(fold(text), text) == NotRead(
        "the first working days of a period: not counted from a period's end")
    text = "hằng quý, trong 05 ngày đầu tiên của tháng"
    assert read_days_of_period(fold(text), text) == NotRead("'hang quy' and a month: two cadences")
    text = "Trong vòng 10 ngày làm việc đầu tiên của tháng tiếp theo"
    assert read_days_of_period(fold(text), text) == AfterPeriod("month", 10, True)


@pytest.mark.parametrize(
    ("text", "after_days"),
    [("trước thứ Năm tuần sau", 4), ("trước thứ tư tuần sau", 3), ("trước thứ 7 tuần liền sau", 6),
     ("chậm nhất vào Chủ nhật tuần kế tiếp, hằng tuần", 7)],
)
def test_the_next_weeks_day_is_read_by_the_grammar(text: str, after_days: int):
    deadline = parse_deadline(text, year=2025)
    assert deadline.kind == "recurring"
    assert deadline.rules == [RecurrenceRule(every="week", after_days=after_days)]  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["hằng tháng, trước thứ Hai tuần sau", "trước thứ 9 tuần sau",
                                  "trước thứ quý tuần sau"])
def test_a_next_weeks_day_that_is_no_weekday_or_disagrees_is_unknown(text: str):
    assert parse_deadline(text, year=2025).kind == "unknown"


def test_an_ad_hoc_clause_after_a_schedule_is_kept_as_a_note():
    deadline = parse_deadline("trước ngày 20 tháng 6 và 20 tháng 12 hằng năm hoặc đột xuất theo "
                              "yêu cầu", year=2025)
    assert deadline.kind == "composite" and deadline.relation == "or_ad_hoc"  # type: ignore[union-attr]
    assert deadline.note == "hoặc đột xuất theo yêu cầu"  # type: ignore[union-attr]


def test_months_before_an_event_are_kept_as_months():
    deadline = parse_deadline("Chậm nhất 03 tháng trước ngày hết hạn", year=2025)
    assert deadline.kind == "relative_to_event"
    assert deadline.within_months == -3  # type: ignore[union-attr]
    assert deadline.event == "hết hạn"  # type: ignore[union-attr]


def test_a_proposal_with_working_days_leaves_the_counting_to_the_plans_calendar():
    calendar = WorkingCalendar.vietnam([2025])
    unread, rule = explain("Trong thời hạn 10 ngày làm việc kể từ ngày kết thúc quý; giữa năm 2026",
                           year=2025, add_working_days=calendar.add_working_days)
    assert unread == "giữa năm 2026"
    assert rule == {"kind": "recurring", "rules": [{"every": "quarter", "after_working_days": 10}],
                    "years": [2025]}


def test_working_days_after_a_period_need_a_calendar():
    without = parse_deadline("Trong thời hạn 10 ngày làm việc kể từ ngày kết thúc quý", year=2025)
    assert without.kind == "unknown" and "working calendar" in without.reason  # type: ignore[union-attr]


def _corpus(name: str) -> list[dict]:
    path = DATA / name
    return yaml.safe_load(path.read_text("utf-8")) if path.exists() else []


@pytest.mark.parametrize(
    ("name", "floor", "most_otherwise"),
    [
        ("deadline_phrases_real.yaml", 0.95, None),  # plan cells and clauses; the grammar was tuned on it
        # Collected separately, mostly sentences from news about documents; the grammar was
        # generalised after a first measurement on it (see README, Grammar accuracy).
        ("deadline_phrases_heldout.yaml", 0.90, None),
        # Collected for issue 10 from reporting regimes and procedures; first measured at 62%
        # before the grammar changed, then its misses were read (README, Grammar accuracy).
        ("deadline_phrases_third.yaml", 0.88, None),
        # Collected for issue 10's second round; first measured at 60% (49 of 82) with 5 wrong
        # dates, before the grammar changed; then its misses were read (README, Grammar accuracy).
        ("deadline_phrases_fourth.yaml", 0.95, None),
        # Collected for issue 10's third round; first measured at 66% (94 of 143) with 9 wrong
        # dates, before the grammar changed; then its misses were read (README, Grammar accuracy).
        ("deadline_phrases_fifth.yaml", 0.95, None),
        # Collected for issue 10's fourth round; first measured at 84% (129 of 154) with 17 read
        # otherwise (2 unambiguous wrong dates), before the grammar changed; then its misses were
        # read (README, Grammar accuracy).
        ("deadline_phrases_sixth.yaml", 0.95, None),
        # Collected for issue 10's fifth round, mostly plan appendix cells, and NOT tuned on: the
        # floors are its first measurement, 79% (130 of 164) with 5 read otherwise (3 of them
        # ambiguous phrases given another date), so they catch a regression without pretending.
        ("deadline_phrases_seventh.yaml", 0.79, 5),
    ],
)
def test_real_phrases_from_other_plans(name: str, floor: float, most_otherwise: int | None):
    """Phrases from Vietnamese documents outside the seeds: most read right, and almost never
    a wrong date: what the grammar cannot read is unknown."""
    items = _corpus(name)
    if not items:
        pytest.skip(f"{name} not collected")
    right, unknown, wrong = [], [], []
    for item in items:
        issued = item.get("issued")
        result = read(item["text"], item["year"], date.fromisoformat(str(issued)) if issued else None)
        expected = [str(d) for d in item["due"]]
        if item.get("ambiguous"):
            (right if result["kind"] == "unknown" or result["due"] == expected else wrong).append(
                (item["text"], result["kind"], result["due"]))
        elif (result["kind"], result["due"]) == (item["kind"], expected):
            right.append(item["text"])
        elif result["kind"] == "unknown":
            unknown.append(item["text"])
        else:
            wrong.append((item["text"], result["kind"], result["due"], item["kind"], expected))
    unambiguous = [i for i in items if not i.get("ambiguous")]
    read_right = len(unambiguous) - len(unknown) - len([w for w in wrong if len(w) == 5])
    assert read_right / len(unambiguous) >= floor, unknown
    # at most 2% read otherwise; an untuned set, at most what its first measurement found
    assert len(wrong) <= (len(items) // 50 if most_otherwise is None else most_otherwise), wrong


def test_folding_keeps_length_so_spans_point_into_the_original():
    text = "Quí IV-2025 Đồng Nai hằng năm"
    assert fold(text) == "qui iv-2025 dong nai hang nam"
    assert len(fold(text)) == len(text)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       st.sampled_from(["trước ngày", "chậm nhất ngày", "hoàn thành trước ngày", "hạn chót"]),
       st.sampled_from(["{d:%d/%m/%Y}", "{d.day}/{d.month}/{d.year}", "{d:%d-%m-%Y}",
                        "{d.day:02d}.{d.month:02d}.{d.year}"]))
def test_any_written_date_reads_back_as_itself(day: date, prefix: str, form: str):
    result = read(f"{prefix} {form.format(d=day)}", year=2025)
    assert (result["kind"], result["due"]) == ("before_date", [day.isoformat()])


@given(st.integers(2000, 2099), st.integers(1, 4),
       st.sampled_from(["Quý {r}/{y}", "quý {n} năm {y}", "Quí {r}-{y}", "QUÝ {r}{y}",
                        "trong quý {r}/{y}", "Q{n}/{y}"]))
def test_quarters_in_every_spelling(year: int, quarter: int, form: str):
    roman = ["I", "II", "III", "IV"][quarter - 1]
    result = read(form.format(r=roman, n=quarter, y=year), year=2025)
    last_month = quarter * 3
    end = (date(year + (last_month == 12), last_month % 12 + 1, 1) - timedelta(days=1))
    assert (result["kind"], result["due"]) == ("quarter", [end.isoformat()])


@given(st.text(max_size=80))
def test_never_fails_on_any_text(text: str):
    result = read(text)
    assert result["kind"] in {"absolute_date", "before_date", "month", "quarter", "half_year",
                              "year", "year_range", "recurring", "relative_to_event",
                              "conditional", "ongoing", "unknown"}


# -- untrusted input: no exception, no hang, the meaning of whitespace ---------------------------

KINDS = {"absolute_date", "before_date", "month", "quarter", "half_year", "year", "year_range",
         "recurring", "relative_to_event", "conditional", "ongoing", "unknown"}


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_unicode_text_gets_a_reading_or_unknown(text: str):
    result = read(text)
    assert result["kind"] in KINDS
    assert result["kind"] != "unknown" or result["due"] == []


@given(st.lists(st.sampled_from(["Quý", "I", "/", "2025", "-", "29", "21/9", "và", ",", ";",
                                 "trước", "ngày", "hằng", "tháng", "(", ")", "hoặc", "đột xuất",
                                 "sau đó", "thường xuyên", "9999", "0", "İ", "\u2028", "  "]),
                max_size=40))
def test_any_mix_of_deadline_words_never_raises(words: list[str]):
    assert read(" ".join(words))["kind"] in KINDS


@pytest.mark.parametrize("text", ["29-21/9", "İ", "İ 30/4/2025", "31/12/9999", "31/12/0000",
                                  "năm 9999", "trong 30 ngày kể từ 31/12/2200"])
def test_odd_input_is_unknown_or_dated_in_range(text: str):
    result = read(text)
    assert result["kind"] in KINDS
    assert all("1900" <= d[:4] <= "2200" for d in result["due"])


def test_a_run_of_whitespace_never_changes_the_meaning():
    single = read("06 tháng/lần")
    for spaced in ("06  tháng/lần", "06\ttháng/lần", "06 \u00a0tháng/lần", " 06 tháng /lần "):
        assert read(spaced)["due"] == single["due"] == ["2025-06-30", "2025-12-31"]


@pytest.mark.parametrize("text", [" " * 10_000, "1" * 10_000, "trong 1 ngày kể từ " * 600,
                                  "(" * 10_000, "quý I, " * 1500, "x" * (1 << 20)])
def test_a_huge_phrase_is_refused_without_hanging(text: str):
    """A hang guard only; the timings are in bench/ (README, Benchmarks)."""
    assert read(text)["kind"] in {"unknown"} | KINDS
