"""The roster import in a real browser: the upload says it is checking, the report offers every error."""

from playwright.sync_api import expect

from tests.e2e.conftest import check_layout, follow, identifier_of, login
from tests.roster.importing import person_row, xlsx_bytes

FORM = "[data-testid=import-form]"


def choose_file(page):
    rows = [person_row(700), person_row(701, 手机号="1")]
    page.get_by_label("花名册文件（.xlsx 或 .csv）").set_input_files(
        files=[{"name": "花名册.xlsx", "mimeType": "application/octet-stream", "buffer": xlsx_bytes(rows)}])


def test_the_button_says_checking_and_is_disabled_once_the_form_is_sent(page, world):
    """The busy state is set by the submit event itself, so a second tap cannot send the file again."""
    login(page, identifier_of(world.users.admin))
    page.goto("/roster/import")
    choose_file(page)
    # Registered after the page's own handler, so it runs second: the page sets the busy state,
    # then this listener stops the navigation and the state can be read at leisure.
    page.evaluate(f"""() => document.querySelector("{FORM}")
        .addEventListener("submit", (event) => event.preventDefault())""")
    page.locator(f"{FORM} button[type=submit]").click()
    button = page.locator(f"{FORM} button[type=submit]")
    expect(button).to_be_disabled()
    expect(button).to_have_text("正在检查…")
    expect(page.get_by_role("status")).to_contain_text("正在检查…")


def test_upload_posts_once_and_the_report_offers_the_error_sheet(page, world):
    """A real tap still sends the form (the disabled button is unnamed) and the report links the sheet."""
    login(page, identifier_of(world.users.admin))
    page.goto("/roster/import")
    check_layout(page)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    choose_file(page)
    follow(page.locator(f"{FORM} button[type=submit]"))
    expect(page.get_by_role("heading", name="导入检查结果", level=1)).to_be_visible()
    assert len([url for url in posts if url.endswith("/roster/import")]) == 1
    # Measured before the download: a link that turns into a download leaves Chromium's frame
    # with a navigation that never reaches "load", so nothing may wait for it afterwards.
    check_layout(page)
    expect(page.get_by_test_id("error-download")).to_have_text("下载全部 1 行错误（Excel）")
    with page.expect_download() as download:
        page.get_by_test_id("error-download").click()
    assert download.value.suggested_filename == "花名册-错误行.xlsx"
