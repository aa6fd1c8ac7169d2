"""A refusal of the workflow's validators (English, for the CLI and scripts) said in Vietnamese
for the page, by its code; the code stays on the page for scripts (`data-code`)."""

from __future__ import annotations

from dondoc.services.operate import Refused
from dondoc.services.work import Work
from dondoc.web.formatting import day

PLAIN = {
    "Cancelled": "Nhiệm vụ này đã bị hủy; không ghi nhận thêm được.",
    "Completed": "Nhiệm vụ này đã được báo cáo hoàn thành; không ghi nhận thêm được.",
    "Closed": "Nhiệm vụ này đã kết thúc theo dõi; không thay đổi được nữa.",
    "NotCompleted": "Nhiệm vụ chưa được báo cáo hoàn thành, nên không có gì để yêu cầu bổ sung.",
    "NoDeadline": "Nhiệm vụ chưa có thời hạn (đang chờ sự kiện khởi đầu), nên chưa thể gia hạn.",
    "ExtensionPending": "Đã có một đề nghị gia hạn đang chờ lãnh đạo quyết định; xin chờ quyết "
                        "định đó rồi mới gửi đề nghị mới.",
    "NoExtensionPending": "Không có đề nghị gia hạn nào đang chờ quyết định (có thể đã được "
                          "quyết định trước đó).",
    "AlreadyPaused": "Nhiệm vụ này đang tạm dừng.",
    "NotPaused": "Nhiệm vụ này không ở trạng thái tạm dừng.",
    "OtherEvent": "Nhiệm vụ này không chờ sự kiện đó.",
    "FutureEvent": "Ngày diễn ra sự kiện không được ở tương lai.",
    "HasDeadline": "Nhiệm vụ này có thời hạn: hãy gửi báo cáo hoàn thành thay cho báo cáo tiến độ.",
    "NoNote": "Hãy nhập nội dung tiến độ.",
    "ReasonRequired": "Hãy nêu lý do.",
}


def vietnamese(refused: Refused, item: Work, typed: dict[str, str]) -> str:
    """What the page says of a refusal; the messages of the authorization table and of the
    evidence check are Vietnamese already."""
    if refused.kind == "NotAfterDeadline":
        until = typed.get("until", "").strip()
        return (f"Ngày đề nghị gia hạn{f' ({until})' if until else ''} phải sau thời hạn hiện "
                f"tại ({day(item.due)}).")
    if refused.kind in PLAIN:
        return PLAIN[refused.kind]
    text = str(refused).rstrip(".")
    if text.isascii():  # a refusal without a Vietnamese wording yet: say so, keep the detail
        return f"Hệ thống không ghi nhận thao tác này ({text})."
    return f"{text[:1].upper()}{text[1:]}."
