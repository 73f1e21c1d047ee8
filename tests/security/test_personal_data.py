"""No full ID or phone number in any URL the portal makes, nor in anything it logs."""

import logging
import re

from tests.conftest import login

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LINKS = re.compile(r'(?:href|action|src)="([^"]*)"')


def _urls(response):
    found = LINKS.findall(response.get_data(as_text=True))
    if response.location:
        found.append(response.location)
    return found


def test_urls_and_logs_carry_no_personal_numbers(app, client, world, caplog):
    member = world.people.member
    full_id, full_phone = member.reveal_id_number(), member.reveal_phone()
    seen = []
    with caplog.at_level(logging.DEBUG):
        # Log in by phone number (a POST body, never a URL), then walk the roster pages.
        response = client.post("/login", data={"identifier": world.people.committee.reveal_phone(),
                                                "password": "Mine-safety-2026"})
        seen += _urls(response)
        client.post("/login", data={"identifier": full_phone, "password": "wrong-password"})
        for url in ("/", "/roster/", "/roster/?q=zs", f"/roster/{member.id}", "/audit/", "/accounts/"):
            seen += _urls(client.get(url))
        client.post("/logout")
        login(client, world.users.admin)
        for url in ("/", "/roster/", f"/roster/{member.id}", "/audit/", "/accounts/", "/roster/orgs"):
            seen += _urls(client.get(url))
        revealed = client.post(f"/roster/{member.id}/reveal", data={"what": "id"})
        assert full_id in revealed.get_data(as_text=True)  # the page shows it, on purpose
        seen += _urls(revealed)
        seen += _urls(client.post(f"/roster/{member.id}/reveal", data={"what": "phone"}))
        export = client.post("/roster/export")
        assert export.status_code == 200
    assert seen, "the walk should have found links"
    for url in seen:
        assert not ID_NUMBER.search(url) and not PHONE.search(url), url
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert any(r.name == "portal.audit" for r in caplog.records)  # the walk did log things
    assert full_id not in logged and full_phone not in logged
    assert not ID_NUMBER.search(logged) and not PHONE.search(logged)
