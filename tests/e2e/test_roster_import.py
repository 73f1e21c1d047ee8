"""The roster import in a real browser: the upload says it is checking, the report offers every error."""

from playwright.sync_api import expect

from tests.e2e.conftest import check_layout, identifier_of, login
from tests.roster.importing import person_row, xlsx_bytes


def test_upload_shows_checking_then_the_report_offers_the_error_sheet(page, world):
    """While the server checks, the button reads 正在检查… and is disabled; the report links the sheet."""
    login(page, identifier_of(world.users.admin))
    page.goto("/roster/import")
    check_layout(page)
    held = []  # the upload's request, answered once the busy state has been seen

    def hold(route):
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/roster/import", hold)
    rows = [person_row(700), person_row(701, 手机号="1")]
    page.get_by_label("花名册文件（.xlsx 或 .csv）").set_input_files(
        files=[{"name": "花名册.xlsx", "mimeType": "application/octet-stream", "buffer": xlsx_bytes(rows)}])
    page.locator("[data-testid=import-form] button[type=submit]").click(no_wait_after=True)
    # The upload is held, so the page is still the form; locators would wait for the navigation.
    state = page.evaluate("""() => {
        const button = document.querySelector("[data-testid=import-form] button[type=submit]");
        return [button.textContent.trim(), button.disabled, document.querySelector("[role=status]").textContent];
    }""")
    assert state[0] == "正在检查…" and state[1] is True and state[2].startswith("正在检查…")
    for _ in range(200):  # the route callback runs while Playwright is waiting on something
        if held:
            break
        page.wait_for_timeout(25)
    assert len(held) == 1
    held[0].continue_()
    expect(page.get_by_role("heading", name="导入检查结果", level=1)).to_be_visible()
    expect(page.get_by_test_id("error-download")).to_have_text("下载全部 1 行错误（Excel）")
    with page.expect_download() as download:
        page.get_by_test_id("error-download").click()
    assert download.value.suggested_filename == "花名册-错误行.xlsx"
    check_layout(page)
