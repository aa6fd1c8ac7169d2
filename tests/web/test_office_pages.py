"""The office steers its plans in a real Chromium, against the real stack (the Temporal dev
server, `dondoc worker` as a subprocess, the loopback SMTP server for sign-in codes): it uploads
a new version of a plan (first with a misspelt unit, then a correct one), sees the problem's line
or the exact difference, applies it and sees the change; triggers an event; pauses, resumes and
cancels with a reason; reads the KPIs against their targets. A unit head gets none of it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.site import (
    Person,
    Site,
    gone,
    page_text,
    press,
    screenshots,
    sign_in_with_code,
    stack_site,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.slow

OFFICE = "vanphong@syt.example.invalid"
HL_HEAD = "hl@ttyt.example.invalid"
PASSWORD = "mat-khau-van-phong-2026"


EVENT_RULE = "{kind: relative_to_event, event: ubnd-ban-hanh, within: P15D}"


def plan(today: datetime, *, version: int, lead_of_kh: str = "CP") -> str:
    """Version 1: BA, KH, SK (waits for an event). Version 2: KH's deadline moves 15 days, BA
    goes, GS is added."""
    ba_due, kh_due, gs_due = today + timedelta(days=40), today + timedelta(days=60), \
        today + timedelta(days=90)
    if version == 2:
        kh_due += timedelta(days=15)
    ba = f"""\
  - id: BA
    source: Phụ lục I, dòng 1
    title: Báo cáo kết quả triển khai bệnh án điện tử
    lead: [HL]
    deadline: {{text: "trước ngày {ba_due:%d/%m/%Y}", rule: {{kind: before_date, date: {ba_due:%Y-%m-%d}}}}}
"""
    gs = f"""\
  - id: GS
    source: Phụ lục I, dòng 4
    title: Giám sát an toàn thông tin tại các trạm y tế
    lead: [CP]
    deadline: {{text: "trước ngày {gs_due:%d/%m/%Y}", rule: {{kind: before_date, date: {gs_due:%Y-%m-%d}}}}}
"""
    return f"""\
plan:
  id: vp
  number: 15/KH-SYT
  title: Kế hoạch thử trang Văn phòng
  issuer: Sở Y tế
  issued: {today:%d/%m/%Y}
  year: {today.year}
  until: {today.year + 1}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
  - {{id: HL, name: Trung tâm Y tế Hạ Long, kind: center}}
  - {{id: CP, name: Trung tâm Y tế Cẩm Phả, kind: center}}
people:
  - {{id: pgd, name: Trần Văn Bình, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: pgd}}
events:
  - {{id: ubnd-ban-hanh, name: UBND tỉnh ban hành kế hoạch}}
policy:
  quiet_hours: null
  reminders: [{{before: P3D}}]
  escalation: [{{after: P1D, to: leader}}]
  escalation_repeat: null
tasks:
{ba if version == 1 else gs}\
  - id: KH
    source: Phụ lục I, dòng 2
    title: Xây dựng kế hoạch chuyển đổi số của đơn vị
    lead: [{lead_of_kh}]
    kpis:
      - {{id: cds, indicator: Tỷ lệ hồ sơ bệnh án điện tử, unit: "%", comparator: "≥", target: 65}}
    deadline: {{text: "trước ngày {kh_due:%d/%m/%Y}", rule: {{kind: before_date, date: {kh_due:%Y-%m-%d}}}}}
  - id: SK
    source: Phụ lục I, dòng 3
    title: Triển khai kế hoạch của UBND tỉnh tại đơn vị
    lead: [HL]
    when: ubnd-ban-hanh
    deadline: {{text: "trong 15 ngày kể từ khi UBND tỉnh ban hành", rule: {EVENT_RULE}}}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with stack_site(tmp_path_factory.mktemp("office-e2e"), plan_id="vp",
                    plan=plan(datetime.now(HCM), version=1), office=OFFICE,
                    office_password=PASSWORD,
                    people=[Person(HL_HEAD, "Nguyễn Thị Lan", "unit_head", "HL")]) as site:
        yield site


def upload(site: Site, text: str, name: str) -> str:
    path = site.stack.state / "sent" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, "utf-8")
    site.browser.find_element(By.NAME, "file").send_keys(str(path))
    return press(site.browser, "Kiểm tra tệp")


def item(site: Site, title: str) -> str:
    return str(site.browser.find_element(
        By.XPATH, f"//li[a[@class='item-title' and normalize-space()='{title}']]").text)


def test_the_office_uploads_a_new_version_sees_its_problem_then_its_difference_and_applies_it(
        site: Site) -> None:
    today = datetime.now(HCM)
    site.sign_in(OFFICE)
    text = site.open("/ke-hoach")
    assert "Kế hoạch thử trang Văn phòng" in text and "15/KH-SYT" in text
    site.browser.find_element(By.LINK_TEXT, "Kế hoạch thử trang Văn phòng").click()
    text = page_text(site.browser)
    assert "Báo cáo kết quả triển khai bệnh án điện tử" in text
    screenshots(site.browser, "ke-hoach")

    text = upload(site, plan(today, version=2), "vp-v2.txt")
    assert "Tệp “vp-v2.txt” không phải tệp kế hoạch: chỉ nhận tệp YAML (.yaml hoặc .yml)." in text
    text = upload(site, "# " + "x" * 600_000, "lon.yaml")
    assert "Tệp “lon.yaml” lớn hơn 512 KiB, mức tối đa cho một kế hoạch" in text

    misspelt = plan(today, version=2, lead_of_kh="CPP")
    line = misspelt.splitlines().index("    lead: [CPP]") + 1
    text = upload(site, misspelt, "vp-v2.yaml")
    assert "Tệp kế hoạch có lỗi; chưa có gì được áp dụng" in text
    assert f"dòng {line}, cột 12 (tasks[1].lead[0]): unknown unit 'CPP' (did you mean 'CP'?)" \
        in text
    quoted = [e.text for e in site.browser.find_elements(By.CSS_SELECTOR, "ul.problems code")]
    assert f"{line} |     lead: [CPP]" in quoted  # the line as written
    screenshots(site.browser, "ke-hoach-loi")

    # An upload from a day ago, never applied: the next upload forgets it.
    stale = site.stack.state / "uploads" / "plans" / f"{'0' * 64}.yaml"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("plan: {}", "utf-8")
    os.utime(stale, (time.time() - 86_400,) * 2)
    text = upload(site, plan(today, version=2), "vp-v2.yaml")
    assert "1 nhiệm vụ thêm mới · 1 thay đổi · 1 bị hủy · 1 giữ nguyên" in text
    assert not stale.exists() and len(list(stale.parent.glob("*.yaml"))) == 1
    added = site.browser.find_element(By.CSS_SELECTOR, ".diff-added").text
    assert "Giám sát an toàn thông tin tại các trạm y tế" in added
    assert "Chủ trì: Trung tâm Y tế Cẩm Phả" in added
    old_due, new_due = (today + timedelta(days=60)), (today + timedelta(days=75))
    changed = site.browser.find_element(By.CSS_SELECTOR, ".diff-changed").text
    assert "Xây dựng kế hoạch chuyển đổi số của đơn vị" in changed
    assert f"Hạn: {old_due:%d/%m/%Y} → {new_due:%d/%m/%Y}" in changed
    assert f"trước ngày {old_due:%d/%m/%Y} → trước ngày {new_due:%d/%m/%Y}" in changed
    cancelled = site.browser.find_element(By.CSS_SELECTOR, ".diff-cancelled").text
    assert "Báo cáo kết quả triển khai bệnh án điện tử" in cancelled
    screenshots(site.browser, "ke-hoach-khac-biet")
    preview = site.browser.current_url

    text = press(site.browser, "Áp dụng phiên bản này")
    assert ("Đã áp dụng phiên bản mới của kế hoạch: 1 nhiệm vụ bắt đầu theo dõi, 1 được cập "
            "nhật, 1 bị hủy, 1 giữ nguyên.") in text
    assert new_due.strftime("%d/%m/%Y") in item(site, "Xây dựng kế hoạch chuyển đổi số của đơn vị")
    assert "Trong hạn" in item(site, "Giám sát an toàn thông tin tại các trạm y tế")
    assert "Đã hủy" in item(site, "Báo cáo kết quả triển khai bệnh án điện tử")
    screenshots(site.browser, "ke-hoach-da-ap-dung")

    # Sent again (back, and the same form posted once more): nothing changes.
    text = site.open(preview.removeprefix(site.url))
    assert "Tệp này chính là phiên bản đang theo dõi; không có gì để áp dụng." in text
    site.browser.execute_script("""
        const form = document.createElement('form');
        form.method = 'post'; form.action = location.pathname.replace('ban-moi', 'ap-dung');
        const token = document.createElement('input');
        token.name = 'csrf_token'; token.value = document.querySelector('[name=csrf_token]').value;
        form.appendChild(token); document.body.appendChild(form); form.submit();""")
    WebDriverWait(site.browser, 20).until(lambda d: "trước đó" in page_text(d))
    assert "Phiên bản này đã được áp dụng trước đó; không có gì thay đổi." in page_text(
        site.browser)
    history = json.loads(site.stack.dondoc("history", "vp/KH", "--json").stdout)
    assert [row["type"] for row in history].count("amended") == 1


def test_the_office_triggers_an_event_and_pauses_resumes_cancels_with_a_reason(
        site: Site) -> None:
    site.sign_in(OFFICE)
    site.open("/ke-hoach/vp")
    today = datetime.now(HCM)
    assert "Chờ sự kiện" in item(site, "Triển khai kế hoạch của UBND tỉnh tại đơn vị")
    site.fill({"at": f"{today + timedelta(days=3):%d/%m/%Y}"})
    text = press(site.browser, "Ghi nhận sự kiện")
    assert "là ngày trong tương lai" in text
    site.fill({"at": f"{today:%d/%m/%Y}"})
    text = press(site.browser, "Ghi nhận sự kiện")
    assert f"Đã ghi nhận sự kiện “ubnd-ban-hanh” ngày {today:%d/%m/%Y}: 1 nhiệm vụ bắt đầu " \
        "tính hạn (Triển khai kế hoạch của UBND tỉnh tại đơn vị: hạn" in text
    assert "Chờ sự kiện" not in item(site, "Triển khai kế hoạch của UBND tỉnh tại đơn vị")

    def row(title: str) -> WebElement:
        return site.browser.find_element(
            By.XPATH, f"//li[a[@class='item-title' and normalize-space()='{title}']]")

    def click(title: str, button: str) -> str:
        for attempt in range(3):  # Chrome may hand back a node of the document it is replacing
            try:
                found = row(title)
                found.find_element(By.XPATH, f".//button[normalize-space()='{button}']").click()
                break
            except WebDriverException:
                if attempt == 2:
                    raise
        WebDriverWait(site.browser, 20).until(gone(found))
        return page_text(site.browser)

    def act(title: str, reason: str, button: str) -> str:
        row(title).find_element(By.TAG_NAME, "summary").click()
        row(title).find_element(By.NAME, "reason").send_keys(reason)
        return click(title, button)

    kh = "Xây dựng kế hoạch chuyển đổi số của đơn vị"
    row(kh).find_element(By.TAG_NAME, "summary").click()
    row(kh).find_element(By.NAME, "reason").send_keys("Chờ hướng dẫn của Bộ Y tế")
    site.clock.ahead += timedelta(minutes=31)  # the session ends while the reason is typed
    text = click(kh, "Tạm dừng")
    assert "Phiên làm việc đã hết hạn" in text
    text, _ = sign_in_with_code(site.browser, site.mailbox, OFFICE)
    assert "Nội dung đồng chí đã nhập vẫn còn" in text and "Đã tạm dừng" not in text
    assert row(kh).find_element(By.NAME, "reason").get_attribute("value") == \
        "Chờ hướng dẫn của Bộ Y tế"
    text = click(kh, "Tạm dừng")
    assert f"Đã tạm dừng: {kh} — nay tạm dừng. Lý do: Chờ hướng dẫn của Bộ Y tế" in text
    assert "Tạm dừng" in item(site, kh).splitlines()[0]  # the state, in words
    screenshots(site.browser, "ke-hoach-tam-dung")
    text = act(kh, "Đã có hướng dẫn", "Tiếp tục")
    assert f"Đã cho tiếp tục: {kh} — nay trong hạn." in text
    text = act("Giám sát an toàn thông tin tại các trạm y tế", "Gộp vào nhiệm vụ khác",
               "Hủy nhiệm vụ")
    assert "Đã hủy: Giám sát an toàn thông tin tại các trạm y tế — nay đã hủy." in text
    assert "Tạm dừng, tiếp tục hoặc hủy" not in item(
        site, "Giám sát an toàn thông tin tại các trạm y tế")  # nothing left to do


def test_the_report_shows_a_kpi_against_its_target(site: Site) -> None:
    site.stack.dondoc("kpi", "record", "vp/KH", "--value", "58", "--as-of",
                      datetime.now(HCM).strftime("%d/%m/%Y"), "--by", "CP", "--reason",
                      "CP báo qua điện thoại")
    if "Đăng xuất" in site.open("/"):
        press(site.browser, "Đăng xuất")
    site.open("/bao-cao?plan=vp")  # asks for sign-in first; the office uses its password
    site.browser.find_element(By.TAG_NAME, "summary").click()
    site.browser.find_element(By.ID, "password-login").send_keys(OFFICE)
    site.browser.find_element(By.ID, "password").send_keys(PASSWORD)
    screenshots(site.browser, "dang-nhap-mat-khau")
    assert "Báo cáo kết quả thực hiện" in press(site.browser, "Đăng nhập bằng mật khẩu")
    site.open("/bao-cao?plan=vp")
    kpis = site.browser.find_element(By.CSS_SELECTOR, "ul.kpis").text
    assert "Tỷ lệ hồ sơ bệnh án điện tử" in kpis
    assert f"58 %, mục tiêu ≥ 65 % (số liệu ngày {datetime.now(HCM):%d/%m/%Y}): Chưa đạt" in kpis
    screenshots(site.browser, "bao-cao-chi-tieu")


def test_a_unit_head_gets_no_office_page_and_no_office_form(site: Site) -> None:
    site.sign_in(HL_HEAD)
    for path in ("/ke-hoach", "/ke-hoach/vp"):
        text = site.open(path)
        assert "Không có quyền truy cập" in text
        assert "Kiểm tra tệp" not in text and "Tạm dừng" not in text
    screenshots(site.browser, "ke-hoach-khong-co-quyen")
    # A form built by hand, with the unit head's own valid token, is refused by the server.
    site.browser.execute_script("""
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/ke-hoach/vp/thao-tac';
        const fields = {csrf_token: document.querySelector('[name=csrf_token]').value,
                        ref: 'vp/SK', action: 'cancel', reason: 'thử hủy'};
        for (const [name, value] of Object.entries(fields)) {
            const input = document.createElement('input');
            input.name = name; input.value = value; form.appendChild(input);
        }
        document.body.appendChild(form); form.submit();""")
    WebDriverWait(site.browser, 20).until(
        lambda driver: "Không có quyền truy cập" in page_text(driver))
    history = json.loads(site.stack.dondoc("history", "vp/SK", "--json").stdout)
    assert "cancelled" not in [row["type"] for row in history]


def test_the_cli_dry_run_and_the_web_preview_show_the_same_difference(site: Site) -> None:
    third = site.stack.state / "vp-v3.yaml"
    third.write_text(plan(datetime.now(HCM), version=2, lead_of_kh="HL"), "utf-8")
    said = site.stack.dondoc("load", "--dry-run", str(third)).stdout.splitlines()
    change = "    Chủ trì: Trung tâm Y tế Cẩm Phả → Trung tâm Y tế Hạ Long"
    assert said[:2] == ["~ vp/KH: Xây dựng kế hoạch chuyển đổi số của đơn vị", change]
    assert "0 would be started" in said[-1] and "1 would be amended" in said[-1]

    site.sign_in(OFFICE)
    site.open("/ke-hoach")
    site.browser.find_element(By.NAME, "file").send_keys(str(third))
    press(site.browser, "Kiểm tra tệp")
    shown = site.browser.find_element(By.CSS_SELECTOR, ".diff-changed li li").text
    assert shown == change.strip()
    history = json.loads(site.stack.dondoc("history", "vp/KH", "--json").stdout)
    assert [row["type"] for row in history].count("amended") == 1  # nothing applied
