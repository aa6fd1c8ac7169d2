"""An occurrence's history as a page says it: when, what happened, to or by whom, on which
channel; names of the plan's parties, never their ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dondoc.services.work import Work
from dondoc.web.formatting import day, instant, measure

WHAT = {
    "started": "Bắt đầu theo dõi nhiệm vụ",
    "amended": "Kế hoạch được điều chỉnh",
    "reminder.sent": "Gửi nhắc hạn",
    "reminder.skipped": "Bỏ qua một lần nhắc (đã quá thời điểm)",
    "notice.sent": "Gửi thông báo",
    "overdue": "Quá hạn",
    "escalated": "Báo cáo nhiệm vụ quá hạn lên cấp trên",
    "completed": "Báo cáo hoàn thành",
    "reopened": "Yêu cầu bổ sung báo cáo",
    "extension.requested": "Đề nghị gia hạn",
    "extension.approved": "Đồng ý gia hạn",
    "extension.denied": "Không đồng ý gia hạn",
    "paused": "Tạm dừng",
    "resumed": "Tiếp tục",
    "cancelled": "Hủy nhiệm vụ",
    "triggered": "Sự kiện khởi đầu đã diễn ra",
    "checkin.requested": "Đề nghị báo cáo tiến độ",
    "checkin.received": "Báo cáo tiến độ",
    "checkin.missed": "Chưa báo cáo tiến độ",
    "kpi.recorded": "Cập nhật chỉ tiêu",
    "closed": "Kết thúc theo dõi",
}
CHANNELS = {"email": "e-mail", "zalo": "Zalo", "outbox": "hộp thư thử nghiệm"}
OUTCOMES = {"sent": "đã gửi", "already_sent": "đã gửi", "failed": "không gửi được",
            "rerouted": "chuyển Văn phòng", "uncertain": "chưa rõ đã gửi chưa"}


@dataclass(frozen=True)
class Line:
    at: str
    what: str
    detail: str


def timeline(rows: list[dict[str, Any]], item: Work) -> list[Line]:
    names = item.names

    def name(party: str | None) -> str:
        return names.get(party or "", party or "")

    lines = []
    for row in rows:
        kind = row["type"]
        parts: list[str] = []
        if row.get("recipient"):
            channel = CHANNELS.get(row.get("channel") or "", row.get("channel") or "")
            parts.append(f"đến {name(row['recipient'])} qua {channel} "
                         f"({OUTCOMES.get(row.get('outcome') or '', row.get('outcome') or '')})")
        elif row.get("actor"):
            parts.append(f"bởi {name(row['actor'])}")
        if kind == "completed" and isinstance(row.get("evidence"), dict):
            evidence = row["evidence"]
            parts.append(f"văn bản số {evidence.get('number')} ngày "
                         f"{day(date.fromisoformat(evidence['date']))}")
        if kind.startswith("extension.") and row.get("until"):
            parts.append(f"đến ngày {day(date.fromisoformat(row['until']))}")
        if kind == "kpi.recorded" and row.get("value") is not None:
            indicator = next((k.indicator for k in item.kpis if k.id == row.get("kpi")),
                             row.get("kpi"))
            parts.append(f"{indicator}: {measure(row['value'], row.get('unit'))}" + (
                f" (số liệu ngày {day(date.fromisoformat(row['as_of']))})"
                if row.get("as_of") else ""))
        if row.get("reason"):
            parts.append(f"lý do: {row['reason']}")
        if row.get("note"):
            parts.append(f"nội dung: {row['note']}")
        lines.append(Line(at=instant(datetime.fromisoformat(row["at"])),
                          what=WHAT.get(kind, kind), detail="; ".join(parts)))
    return lines
