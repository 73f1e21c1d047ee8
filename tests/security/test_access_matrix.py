"""Every endpoint x every role: a new endpoint missing from this table fails by itself."""

import pytest

from tests.conftest import login

ANON = "anonymous"
ROLES = ["admin", "committee", "secretary", "member", "activist", "staff"]
EVERYONE = set(ROLES)
PUBLIC = "public"

# endpoint -> (method, roles allowed). Roles not listed must get 403 or 404.
EXPECTED = {
    "static": ("GET", PUBLIC),
    "bootstrap.static": ("GET", PUBLIC),
    "accounts.login": ("GET", PUBLIC),
    "home.favicon": ("GET", PUBLIC),
    "home.index": ("GET", EVERYONE),
    "accounts.logout": ("POST", EVERYONE),
    "accounts.change_password": ("GET", EVERYONE),
    "accounts.user_list": ("GET", {"admin"}),
    "accounts.user_create": ("GET", {"admin"}),
    "accounts.user_detail": ("GET", {"admin"}),
    "accounts.role_grant": ("POST", {"admin"}),
    "accounts.role_revoke": ("POST", {"admin"}),
    "accounts.user_disable": ("POST", {"admin"}),
    "accounts.user_enable": ("POST", {"admin"}),
    "accounts.user_unlock": ("POST", {"admin"}),
    "accounts.user_reset_password": ("POST", {"admin"}),
    "accounts.audit_log": ("GET", {"admin"}),
    "roster.person_list": ("GET", {"admin", "committee", "secretary"}),
    "roster.person_detail": ("GET", {"admin", "committee", "secretary"}),
    "roster.person_reveal": ("POST", {"admin", "committee"}),
    "roster.person_create": ("GET", {"admin", "committee", "secretary"}),
    "roster.person_edit": ("GET", {"admin", "committee", "secretary"}),
    "roster.org_list": ("GET", {"admin", "committee"}),
    "roster.org_create": ("POST", {"admin", "committee"}),
    "roster.unit_create": ("POST", {"admin", "committee"}),
    "roster.import_start": ("GET", {"admin", "committee"}),
    "roster.import_accept": ("POST", {"admin", "committee"}),
    "roster.import_template": ("GET", {"admin", "committee"}),
    "roster.export": ("POST", {"admin", "committee", "secretary"}),
    # The admin account has no roster person: 我的积分 tells them so (200), it is not refused.
    "credits.mine": ("GET", EVERYONE),
    "credits.rankings": ("GET", {"committee", "secretary"}),
    "credits.ranking_export": ("GET", {"committee", "secretary"}),
    "credits.person_ledger": ("GET", {"committee", "secretary"}),
    "credits.ledger_export": ("GET", {"committee", "secretary"}),
    "credits.payout_list": ("GET", {"committee"}),
    "credits.payout_sign": ("POST", {"committee"}),
    "credits.rules": ("GET", {"committee"}),
    "credits.rule_history": ("GET", {"committee"}),
    "credits.rule_edit": ("GET", {"committee"}),
    "credits.adjust": ("GET", {"committee"}),
    "credits.reverse": ("POST", {"committee"}),
    "credits.anomaly_report": ("GET", {"committee"}),
}


def _url(app, endpoint, world):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {
        "filename": "css/portal.css" if endpoint == "static" else "css/bootstrap.min.css",
        "user_id": world.users.staff.id,
        "grant_id": world.users.staff.grants[0].id,
        "person_id": world.people.member.id,  # in the secretary's own branch
        "batch_id": 999999,
        "code": "study_read",
        "entry_id": 999999,
    }
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: values[k] for k in rule.arguments})


def test_every_endpoint_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED), "add new endpoints to EXPECTED with the roles allowed"


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
@pytest.mark.parametrize("role", [ANON, *ROLES])
def test_access(app, client, world, endpoint, role):
    method, allowed = EXPECTED[endpoint]
    if role != ANON:
        login(client, getattr(world.users, role))
    response = client.open(_url(app, endpoint, world), method=method)
    if allowed == PUBLIC:
        assert response.status_code in (200, 302), response.status_code
    elif role == ANON:
        assert response.status_code == 302 and "/login" in response.location
    elif role in allowed:
        assert response.status_code not in (401, 403, 404, 405), response.status_code
        if endpoint != "accounts.logout":  # the one page whose success is the log-in page
            assert "/login" not in (response.location or "")
    else:
        assert response.status_code in (403, 404), response.status_code
