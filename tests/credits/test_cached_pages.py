"""The ranking and ledger pages reuse their rendered parts until what they show changes."""

import re

from portal.core.cache import FORM_TOKEN
from tests.credits.helpers import at, close_until, commit, csrf_token, give
from tests.credits.test_views import ranking
from tests.factories import PASSWORD
from tests.statements import viewed_twice


def test_a_ranking_is_reused_and_a_new_award_shows_at_once(client, login_as, november, now):
    login_as(november.users.committee)
    page = viewed_twice(client, "/credits/rankings")
    assert ranking(page)[0][:3] == ("1", "李四", "10")

    give(now, november.users.committee, november.people.other, 20, at(2026, 11, 22, 11))
    commit()
    assert ranking(client.get("/credits/rankings").get_data(as_text=True))[0][:3] == ("1", "陈五", "22")


def test_closing_a_period_shows_on_a_ranking_viewed_while_it_was_open(client, login_as, november, now):
    login_as(november.users.committee)
    before = client.get("/credits/rankings?period=month:2026-10-01").get_data(as_text=True)
    assert "已结算（冻结）" not in before
    close_until(now, at(2026, 11, 22, 12))
    commit()
    after = client.get("/credits/rankings?period=month:2026-10-01").get_data(as_text=True)
    assert "已结算（冻结）" in after


def test_one_cached_ranking_serves_a_scope_never_another(client, login_as, november):
    login_as(november.users.committee)
    assert "陈五" in client.get("/credits/rankings").get_data(as_text=True)
    client.post("/logout")
    login_as(november.users.secretary)
    assert "陈五" not in client.get("/credits/rankings").get_data(as_text=True)


def test_a_ledger_shows_a_new_entry_at_once(client, login_as, november, now):
    login_as(november.users.member)
    page = viewed_twice(client, "/credits/mine")
    assert "+10" in page and "+7" not in page
    give(now, november.users.committee, november.people.member, 7, at(2026, 11, 22, 11))
    commit()
    assert 'data-testid="entry-points">+7<' in client.get("/credits/mine").get_data(as_text=True)


def test_each_session_gets_its_own_token_in_a_cached_ledger(app, csrf_client, november):
    """The reverse forms come from one cached part, but each page carries its own session's token."""
    member = november.people.member
    pages = []
    for _ in range(2):
        browser = app.test_client()
        form = browser.get("/login").get_data(as_text=True)
        browser.post("/login", data={"identifier": november.users.committee.person.employee_no,
                                     "password": PASSWORD, "csrf_token": csrf_token(form)})
        page = browser.get(f"/credits/people/{member.id}").get_data(as_text=True)
        assert FORM_TOKEN not in page
        pages.append((browser, csrf_token(page)))
    (_, first_token), (second, second_token) = pages
    assert first_token != second_token
    entry_id = int(re.search(r'action="/credits/entries/(\d+)/reverse"', page).group(1))
    refused = second.post(f"/credits/entries/{entry_id}/reverse",
                          data={"reason": "录错", "person_id": member.id, "csrf_token": first_token})
    assert refused.status_code == 400  # another session's token is no token
    done = second.post(f"/credits/entries/{entry_id}/reverse",
                       data={"reason": "录错", "person_id": member.id, "csrf_token": second_token},
                       follow_redirects=True)
    assert f"已冲销 {member.name} 的一条“手动加减分”积分" in done.get_data(as_text=True)


def test_a_ledger_page_shows_a_renamed_or_moved_person_at_once(client, login_as, november):
    member = november.people.member
    login_as(november.users.secretary)
    assert "张三的积分" in client.get(f"/credits/people/{member.id}").get_data(as_text=True)
    member.name = "张三丰"
    commit()
    assert "张三丰的积分" in client.get(f"/credits/people/{member.id}").get_data(as_text=True)
    member.unit = november.unit_b  # now in 掘进二队党支部: outside this secretary's branch
    member.branch = november.branch_b
    commit()
    assert client.get(f"/credits/people/{member.id}").status_code == 404
