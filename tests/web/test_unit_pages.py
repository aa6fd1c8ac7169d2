"""A unit head's day in a real Chromium, against the real stack: the Temporal dev server,
`dondoc worker` as a subprocess, a plan loaded with `dondoc load` by an office account, the web
app with its accounts and the loopback SMTP server that receives the sign-in codes."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from dondoc.services import work as working
from dondoc.services.bundle import verify_bundle
from tests.web.site import (
    Person,
    Site,
    mail_to,
    page_text,
    press,
    screenshots,
    sign_in_with_code,
    stack_site,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.slow

HL_HEAD = "hl@ttyt.example.invalid"
CP_HEAD = "cp@ttyt.example.invalid"
LEADER = "pgd@syt.example.invalid"
AUDITOR = "thanhtra@syt.example.invalid"
OFFICE = "vanphong@syt.example.invalid"


def plan(today: datetime) -> str:
    # BA's reminder (3 days before) is already due when the plan is loaded: it goes at once.
    soon, later = today + timedelta(days=10), today + timedelta(days=1)
    late = today - timedelta(days=3)  # QH is overdue from the start: the leader sees it
    return f"""\
plan:
  id: web
  number: 12/KH-SYT
  title: Kế hoạch thử trang làm việc
  issuer: Sở Y tế
  issued: {today - timedelta(days=30):%d/%m/%Y}
  year: {today.year}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
  - {{id: HL, name: Trung tâm Y tế Hạ Long, kind: center}}
  - {{id: CP, name: Trung tâm Y tế Cẩm Phả, kind: center}}
people:
  - {{id: pgd, name: Trần Văn Bình, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: pgd}}
policy:
  quiet_hours: null
  reminders: [{{before: P3D}}]
  escalation: [{{after: P1D, to: leader}}]
  escalation_repeat: null
tasks:
  - id: BA
    source: Phụ lục I, dòng 1
    title: Báo cáo kết quả triển khai bệnh án điện tử
    lead: [HL]
    deadline: {{text: "trước ngày {later:%d/%m/%Y}", rule: {{kind: before_date, date: {later:%Y-%m-%d}}}}}
  - id: KH
    source: Phụ lục I, dòng 2
    title: Xây dựng kế hoạch chuyển đổi số của đơn vị
    lead: [HL]
    kpis:
      - {{id: ty-le, indicator: Tỷ lệ hồ sơ bệnh án điện tử, unit: "%", target: 65}}
      - {{id: so-hoa, indicator: Số hồ sơ được số hóa, unit: hồ sơ, target: 20000}}
    deadline: {{text: "trước ngày {soon:%d/%m/%Y}", rule: {{kind: before_date, date: {soon:%Y-%m-%d}}}}}
  - id: CP1
    source: Phụ lục I, dòng 3
    title: Rà soát hạ tầng mạng tại Cẩm Phả
    lead: [CP]
    deadline: {{text: "trước ngày {soon:%d/%m/%Y}", rule: {{kind: before_date, date: {soon:%Y-%m-%d}}}}}
  - id: QH
    source: Phụ lục I, dòng 4
    title: Báo cáo rà soát trang thiết bị y tế
    lead: [CP]
    deadline: {{text: "trước ngày {late:%d/%m/%Y}", rule: {{kind: before_date, date: {late:%Y-%m-%d}}}}}
"""


CONTACTS = f"""\
plan: web
contacts:
  - {{of: HL, email: {HL_HEAD}}}
  - {{of: CP, email: {CP_HEAD}}}
  - {{of: pgd, email: {LEADER}}}
  - {{of: VP, email: {OFFICE}}}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with stack_site(tmp_path_factory.mktemp("web-e2e"), plan_id="web",
                    plan=plan(datetime.now(HCM)), contacts=CONTACTS, office=OFFICE, people=[
                        Person(HL_HEAD, "Nguyễn Thị Lan", "unit_head", "HL"),
                        Person(CP_HEAD, "Phạm Văn Cường", "unit_head", "CP"),
                        Person(LEADER, "Trần Văn Bình", "leader", "pgd"),
                        Person(AUDITOR, "Lê Thị Thanh", "auditor")]) as site:
        yield site


def test_a_unit_head_follows_the_reminders_link_signs_in_and_completes_it(site: Site) -> None:
    # The reminder the worker sent when the plan was loaded, as the SMTP server received it.
    reminder = mail_to(site.mailbox, HL_HEAD, "Báo cáo kết quả triển khai bệnh án điện tử")
    assert str(reminder["Subject"]).startswith("[Nhắc hạn")
    body = reminder.get_body(("plain",))
    assert body is not None
    (link,) = re.findall(r"http://127\.0\.0\.1:\d+/lien-ket/\S+", body.get_content())
    site.browser.get(link)  # no session yet: sign in first
    text = page_text(site.browser)
    assert "Đăng nhập" in text and "Báo cáo kết quả" not in text  # nothing shown before sign-in
    screenshots(site.browser, "lien-ket-dang-nhap")
    text, _ = sign_in_with_code(site.browser, site.mailbox, HL_HEAD)  # back to the occurrence
    assert site.browser.current_url.endswith("/viec/web/BA")
    assert "Báo cáo kết quả triển khai bệnh án điện tử" in text and "Sắp đến hạn" in text
    assert "Thời hạn" in text and "Trần Văn Bình" in text and "Bắt đầu theo dõi" in text
    assert "Gửi nhắc hạn — đến Trung tâm Y tế Hạ Long qua e-mail (đã gửi)" in text
    screenshots(site.browser, "nhiem-vu")
    folder = site.stack.state / "uploads"
    folder.mkdir(exist_ok=True)
    (folder / "bao-cao.txt").write_text("không phải văn bản", "utf-8")
    (folder / "bao-cao-45.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    site.fill({"number": "45/BC-TTYT"})
    site.browser.find_element(By.NAME, "file").send_keys(str(folder / "bao-cao.txt"))
    text = press(site.browser, "Gửi báo cáo hoàn thành")
    assert "chỉ nhận" in text and "Hoàn thành đúng hạn" not in text  # a refused file type
    assert site.browser.find_element(By.NAME, "number").get_attribute("value") == "45/BC-TTYT"
    site.browser.find_element(By.NAME, "file").send_keys(str(folder / "bao-cao-45.pdf"))
    text = press(site.browser, "Gửi báo cáo hoàn thành")
    assert "Hoàn thành đúng hạn" in text
    assert "Văn bản số 45/BC-TTYT" in text and "tệp đính kèm bao-cao-45.pdf" in text
    assert "Báo cáo hoàn thành — bởi Trung tâm Y tế Hạ Long" in text
    kept = list((site.stack.state / "evidence").rglob("*"))
    assert [p for p in kept if p.is_file()]  # the PDF, kept by its hash
    assert "Gửi báo cáo hoàn thành" not in text  # nothing left to submit
    screenshots(site.browser, "hoan-thanh")
    site.browser.refresh()  # POST-redirect-GET: a reload sends nothing again
    assert page_text(site.browser).count("Báo cáo hoàn thành —") == 1


def test_a_unit_head_sees_their_units_work_by_deadline(site: Site) -> None:
    text = site.sign_in(HL_HEAD)
    assert "Việc của đơn vị" in text
    titles = [e.text for e in site.browser.find_elements(By.CSS_SELECTOR, ".item-title")]
    assert titles == ["Xây dựng kế hoạch chuyển đổi số của đơn vị"]  # BA is done: not open
    assert "Rà soát hạ tầng mạng tại Cẩm Phả" not in text  # another unit's
    assert "Trong hạn" in text and "Trung tâm Y tế Hạ Long" in text and "HL" not in text.split()
    screenshots(site.browser, "viec-cua-don-vi")


def test_a_forged_or_cut_link_says_so_in_vietnamese(site: Site) -> None:
    reminder = mail_to(site.mailbox, HL_HEAD, "Báo cáo kết quả triển khai bệnh án điện tử")
    body = reminder.get_body(("plain",))
    assert body is not None
    (link,) = re.findall(r"http://\S+/lien-ket/\S+", body.get_content())
    text = site.open(link[len(site.url):-4])
    assert "Liên kết không hợp lệ" in text and "Báo cáo kết quả" not in text
    screenshots(site.browser, "lien-ket-khong-hop-le")


def test_another_units_occurrence_is_refused_and_tells_nothing(site: Site) -> None:
    site.sign_in(HL_HEAD)
    for ref in ("web/CP1", "web/KHONG-CO"):
        text = site.open(f"/viec/{ref}")
        assert "Không có quyền truy cập" in text
        assert "Cẩm Phả" not in text and "Rà soát" not in text
    screenshots(site.browser, "khong-co-quyen")


def test_an_extension_asked_by_the_unit_is_decided_by_the_leader(site: Site) -> None:
    site.sign_in(HL_HEAD)
    site.open("/viec/web/KH")
    early = (datetime.now(HCM) + timedelta(days=5)).strftime("%d/%m/%Y")
    due = (datetime.now(HCM) + timedelta(days=10)).strftime("%d/%m/%Y")
    site.fill({"until": early, "reason": "Chờ ý kiến của UBND huyện"})
    text = press(site.browser, "Gửi đề nghị gia hạn")  # the workflow's validator refuses it
    assert (f"Không ghi nhận được: Ngày đề nghị gia hạn ({early}) phải sau thời hạn hiện tại "
            f"({due}).") in text and "is not after" not in text
    problem = site.browser.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert problem.get_attribute("data-code") == "NotAfterDeadline"  # for scripts
    screenshots(site.browser, "gia-han-bi-tu-choi")
    new_day = (datetime.now(HCM) + timedelta(days=20)).strftime("%d/%m/%Y")
    site.fill({"until": new_day})  # the reason typed is kept
    text = press(site.browser, "Gửi đề nghị gia hạn")
    assert (f"Đã gửi đề nghị gia hạn đến {new_day}, chờ đồng chí Trần Văn Bình - Phó Giám đốc Sở "
            "quyết định.") in text
    assert "Đồng ý gia hạn" not in text  # the unit does not decide its own request

    text = site.open("/quyet-dinh")  # a unit head answers for no task: nothing overdue here
    assert "Không có nhiệm vụ quá hạn nào" in text and "rà soát trang thiết bị" not in text

    site.sign_in(LEADER)
    text = site.open("/quyet-dinh")
    assert "Xây dựng kế hoạch chuyển đổi số của đơn vị" in text
    assert f"đến {new_day}" in text and "Chờ ý kiến của UBND huyện" in text
    # The tasks the leader answers for that are overdue, by unit (QH: Cẩm Phả, 3 days ago).
    late = datetime.now(HCM).date() - timedelta(days=3)
    days = (site.clock().astimezone(HCM).date() - late).days
    group = site.browser.find_element(
        By.XPATH, "//section[h3[starts-with(normalize-space(), 'Trung tâm Y tế Cẩm Phả')]]").text
    assert "(1 nhiệm vụ quá hạn)" in group and "Báo cáo rà soát trang thiết bị y tế" in group
    assert f"{late:%d/%m/%Y}, đã quá {days} ngày" in group and "Quá hạn" in group
    assert "Trung tâm Y tế Hạ Long (" not in text  # nothing of Hạ Long is overdue
    screenshots(site.browser, "cho-quyet-dinh")
    site.browser.find_element(By.LINK_TEXT, "Xây dựng kế hoạch chuyển đổi số của đơn vị").click()
    screenshots(site.browser, "quyet-dinh-gia-han")
    text = press(site.browser, "Đồng ý gia hạn")
    assert f"Đã đồng ý gia hạn; hạn mới: {new_day}." in text

    assert "Không có đề nghị gia hạn nào chờ đồng chí quyết định" in site.open("/quyet-dinh")
    site.sign_in(HL_HEAD)
    assert new_day in site.open("/viec")


def test_a_unit_head_records_kpi_values_as_people_write_them(site: Site) -> None:
    site.sign_in(HL_HEAD)
    text = site.open("/viec/web/KH")  # the targets, as the plan sets them
    assert "Chỉ tiêu\nTỷ lệ hồ sơ bệnh án điện tử: ≥ 65%" in text
    assert "Chỉ tiêu\nSố hồ sơ được số hóa: ≥ 20.000 hồ sơ" in text
    kpi = Select(site.browser.find_element(By.NAME, "kpi"))
    kpi.select_by_visible_text("Số hồ sơ được số hóa")
    site.fill({"value": "12,5"})
    text = press(site.browser, "Ghi nhận chỉ tiêu")  # a count of documents is whole
    assert "12,5: số hồ sơ phải là số nguyên (Số hồ sơ được số hóa)." in text
    assert "Đã ghi nhận" not in text
    screenshots(site.browser, "chi-tieu-bi-tu-choi")
    Select(site.browser.find_element(By.NAME, "kpi")).select_by_visible_text(
        "Số hồ sơ được số hóa")
    site.fill({"value": "15.754"})
    text = press(site.browser, "Ghi nhận chỉ tiêu")
    today = datetime.now(HCM).strftime("%d/%m/%Y")
    assert f"Đã ghi nhận Số hồ sơ được số hóa: 15.754 hồ sơ (số liệu ngày {today})." in text
    Select(site.browser.find_element(By.NAME, "kpi")).select_by_visible_text(
        "Tỷ lệ hồ sơ bệnh án điện tử")
    site.fill({"value": "58%"})
    text = press(site.browser, "Ghi nhận chỉ tiêu")
    assert f"Đã ghi nhận Tỷ lệ hồ sơ bệnh án điện tử: 58% (số liệu ngày {today})." in text
    assert (f"Cập nhật chỉ tiêu — bởi Trung tâm Y tế Hạ Long; Số hồ sơ được số hóa: 15.754 hồ "
            f"sơ (số liệu ngày {today})") in text
    screenshots(site.browser, "chi-tieu")

    site.sign_in(AUDITOR)  # the auditor reads the values and has no form to write one
    text = site.open("/viec/web/KH")
    assert "Tỷ lệ hồ sơ bệnh án điện tử: 58%" in text and "Ghi nhận chỉ tiêu" not in text


def test_no_form_posts_without_the_sessions_csrf_token(site: Site) -> None:
    site.sign_in(HL_HEAD)
    site.open("/viec/web/KH")
    site.browser.execute_script(
        "document.querySelectorAll('[name=csrf_token]').forEach(e => e.value = 'forged')")
    site.fill({"number": "46/BC-TTYT"})
    text = press(site.browser, "Gửi báo cáo hoàn thành")
    assert "Biểu mẫu đã hết hiệu lực" in text
    text = site.open("/viec/web/KH")
    assert "Gửi báo cáo hoàn thành" in text and "46/BC-TTYT" not in text  # nothing recorded


def test_an_auditor_reads_any_timeline_and_cannot_write(site: Site) -> None:
    site.sign_in(AUDITOR)
    text = site.open("/tra-cuu?q=web/BA")
    assert "Báo cáo kết quả triển khai bệnh án điện tử" in text
    site.browser.find_element(By.LINK_TEXT, "Báo cáo kết quả triển khai bệnh án điện tử").click()
    text = page_text(site.browser)
    assert "Báo cáo hoàn thành — bởi Trung tâm Y tế Hạ Long" in text
    screenshots(site.browser, "thanh-tra")
    text = site.open("/viec/web/KH")
    assert "Đồng ý gia hạn" in text  # the timeline: read, not decided
    for button in ("Gửi báo cáo hoàn thành", "Gửi đề nghị gia hạn", "Không đồng ý"):
        assert button not in text  # no form that writes
    # A form built by hand, with the auditor's own valid token, is refused by the server.
    site.browser.execute_script("""
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/gia-han/web/KH';
        const fields = {csrf_token: document.querySelector('[name=csrf_token]').value,
                        until: '01/03/2099', reason: 'thử ghi'};
        for (const [name, value] of Object.entries(fields)) {
            const input = document.createElement('input');
            input.name = name; input.value = value; form.appendChild(input);
        }
        document.body.appendChild(form); form.submit();""")
    WebDriverWait(site.browser, 20).until(
        lambda driver: "Không có quyền truy cập" in page_text(driver))
    assert "01/03/2099" not in site.open("/viec/web/KH")
    text = site.open("/kiem-tra?plan=web")
    assert "Nhật ký nguyên vẹn" in text and "của kế hoạch web" in text
    screenshots(site.browser, "kiem-tra")

    # The audit bundle, downloaded from that page, verifies on its own once unzipped.
    href = site.browser.find_element(By.LINK_TEXT, "Tải gói hồ sơ kiểm toán (.zip)") \
        .get_attribute("href")
    assert href and href.startswith(site.url)
    status, kind, data = download(site.browser, href)
    assert (status, kind) == (200, "application/zip")
    folder = site.stack.state / "tu-thanh-tra"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = {entry.split("/")[0] for entry in archive.namelist()}
        assert name.startswith("bundle-web-")
        archive.extractall(folder)
    plan, rows, findings = verify_bundle(folder / name)
    assert (plan, findings) == ("web", []) and rows > 0
    assert any(p.name != "MANIFEST.json" and p.parent.parent.name == "evidence"
               for p in (folder / name).rglob("*") if p.is_file())  # BA's PDF is in it


def download(browser: webdriver.Chrome, url: str) -> tuple[int, str, bytes]:
    """Fetch `url` with the browser's session: status, content type and body."""
    status, kind, encoded = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async r => {
            const reader = new FileReader();
            reader.onload = () => done([r.status, r.headers.get('content-type'),
                                        reader.result.split(',')[1] || '']);
            reader.readAsDataURL(await r.blob());
        });""", url)
    return int(status), str(kind), base64.b64decode(encoded)


def test_the_office_reads_the_plans_report_and_a_unit_head_may_not(site: Site) -> None:
    site.sign_in(HL_HEAD)
    assert "Không có quyền truy cập" in site.open("/bao-cao?plan=web")
    assert "Không có quyền truy cập" in site.open("/kiem-tra?plan=web")
    assert "Không có quyền truy cập" in site.open("/kiem-tra/goi-ho-so.zip?plan=web")
    site.sign_in(OFFICE)
    text = site.open("/bao-cao?plan=web")
    assert "Hoàn thành đúng hạn" in text and "Quá hạn chưa hoàn thành" in text
    row = site.browser.find_element(By.XPATH, "//tr[th='Trung tâm Y tế Hạ Long']").text
    assert row.split()[-1] == "100%"  # BA done on time: the only one done
    chart = site.browser.find_element(By.CSS_SELECTOR, "ul.bars").text
    assert "Trung tâm Y tế Hạ Long\n100% (1/1 đúng hạn)" in chart  # the number, not colour alone
    assert "Trung tâm Y tế Cẩm Phả\nchưa có nhiệm vụ hoàn thành" in chart
    screenshots(site.browser, "bao-cao")
    csv = site.browser.execute_async_script(
        "fetch('/bao-cao.csv?plan=web').then(r => r.text()).then(arguments[0])")
    assert "Trung tâm Y tế Cẩm Phả" in csv and "Tỷ lệ đúng hạn" in csv

    Select(site.browser.find_element(By.NAME, "unit")).select_by_visible_text(
        "Trung tâm Y tế Hạ Long")
    Select(site.browser.find_element(By.NAME, "state")).select_by_visible_text(
        "Hoàn thành đúng hạn")
    site.browser.find_element(By.NAME, "by").send_keys("Nhiệm vụ")
    text = press(site.browser, "Xem báo cáo")
    rows = [r.text for r in site.browser.find_elements(By.CSS_SELECTOR, "table.report tbody tr")]
    assert rows == ["BA 1 0 0 0 0 0 100%"]  # only HL's task done on time
    site.browser.find_element(By.LINK_TEXT, "Excel (XLSX)")
    workbook = site.browser.execute_async_script("""
        const link = document.evaluate("//a[text()='Excel (XLSX)']", document, null, 9, null);
        fetch(link.singleNodeValue.href).then(r => r.arrayBuffer()).then(b => arguments[0](
            btoa(String.fromCharCode(...new Uint8Array(b)))))""")
    sheet = load_workbook(io.BytesIO(base64.b64decode(workbook)))["Báo cáo"]
    cells = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == ["Báo cáo kết quả thực hiện Kế hoạch thử trang làm việc"]
    assert ["Đơn vị", "Trung tâm Y tế Hạ Long"] in cells
    assert ["Trạng thái", "Hoàn thành đúng hạn"] in cells
    assert cells[-1] == ["BA", 1, 0, 0, 0, 0, 0, 1, 1]  # counts; both rates 100%
    assert "Nhiệm vụ" in text


def test_the_office_lists_every_units_work_from_one_list_not_a_history_each(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_history(client: object, ref: str) -> None:
        raise AssertionError(f"the history of {ref} was read to list it")

    monkeypatch.setattr(working, "started_with", no_history)  # the web app runs in this process
    site.sign_in(OFFICE)
    text = site.open("/viec")
    titles = [e.text for e in site.browser.find_elements(By.CSS_SELECTOR, ".item-title")]
    assert titles == ["Báo cáo rà soát trang thiết bị y tế",  # overdue: the nearest deadline
                      "Rà soát hạ tầng mạng tại Cẩm Phả",
                      "Xây dựng kế hoạch chuyển đổi số của đơn vị"]  # extended by 10 days
    assert "Trung tâm Y tế Cẩm Phả" in text and "Quá hạn" in text


def test_a_session_that_ends_while_a_form_is_filled_keeps_what_was_typed(site: Site) -> None:
    site.sign_in(HL_HEAD)
    site.open("/viec/web/KH")
    site.fill({"number": "47/BC-TTYT", "note": "Bản ký số gửi kèm"})
    site.clock.ahead += timedelta(minutes=31)  # idle longer than the session allows
    text = press(site.browser, "Gửi báo cáo hoàn thành")
    assert "Phiên làm việc đã hết hạn" in text and "Đăng nhập" in text
    text, _ = sign_in_with_code(site.browser, site.mailbox, HL_HEAD)
    assert "Nội dung đồng chí đã nhập vẫn còn" in text and "Hoàn thành đúng hạn" not in text
    assert site.browser.find_element(By.NAME, "number").get_attribute("value") == "47/BC-TTYT"
    assert site.browser.find_element(By.NAME, "note").get_attribute("value") == \
        "Bản ký số gửi kèm"
    text = press(site.browser, "Gửi báo cáo hoàn thành")
    assert "Hoàn thành đúng hạn" in text and "Văn bản số 47/BC-TTYT" in text
