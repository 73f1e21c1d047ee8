"""Every endpoint x every role: a new endpoint missing from this table fails by itself.

An allowed role must get the page (200) or the answer the view means (ANSWERS); an error
under test raises (portal.core.errors), so a 500 fails the case. A GET must write nothing: every
statement a GET runs is watched, and every table is compared before and after it.
"""

import hashlib

import pytest
from sqlalchemy import event, select

from portal.extensions import db
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
    "roster.org_edit": ("GET", {"admin", "committee"}),
    "roster.unit_edit": ("GET", {"admin", "committee"}),
    "roster.import_start": ("GET", {"admin", "committee"}),
    "roster.import_accept": ("POST", {"admin", "committee"}),
    "roster.import_template": ("GET", {"admin", "committee"}),
    "roster.import_errors": ("GET", {"admin", "committee"}),
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
    # Study: the hub answers everyone (it says so when the account has no roster person).
    "study.index": ("GET", EVERYONE),
    # 每日一学: everyone with a roster person reads (admin has none: 404); staff get told it does not count.
    "study.today": ("GET", EVERYONE),
    "study.article": ("GET", EVERYONE - {"admin"}),
    "study.article_read": ("POST", EVERYONE - {"admin"}),
    "study.article_list": ("GET", {"committee", "secretary"}),
    "study.article_new": ("GET", {"committee", "secretary"}),
    "study.article_edit": ("GET", {"committee", "secretary"}),
    "study.article_retire": ("POST", {"committee", "secretary"}),
    "study.article_restore": ("POST", {"committee", "secretary"}),
    "study.article_plan": ("GET", {"committee", "secretary"}),
    "study.article_plan_new": ("GET", {"committee", "secretary"}),
    "study.article_plan_delete": ("POST", {"committee", "secretary"}),
    "study.reading_participation": ("GET", {"committee", "secretary"}),
    # 组织生活: the list and calendar answer everyone (no roster person: told so); a session is seen by
    # the people on its list (secretary, member, activist of branch_a) and its managers; staff: 404.
    "study.meeting_list": ("GET", EVERYONE),
    "study.meeting_detail": ("GET", {"committee", "secretary", "member", "activist"}),
    "study.meeting_attachment": ("GET", {"committee", "secretary", "member", "activist"}),
    "study.meeting_checkin": ("GET", {"secretary", "member", "activist"}),
    "study.meeting_leave": ("POST", {"secretary", "member", "activist"}),
    "study.meeting_reflection": ("GET", {"secretary", "member", "activist"}),
    "study.meeting_manage": ("GET", {"committee", "secretary"}),
    "study.meeting_create": ("GET", {"committee", "secretary"}),
    "study.meeting_edit": ("GET", {"committee", "secretary"}),
    "study.meeting_cancel": ("POST", {"committee", "secretary"}),
    "study.meeting_attachment_delete": ("POST", {"committee", "secretary"}),
    "study.meeting_checkin_board": ("GET", {"committee", "secretary"}),
    "study.meeting_checkin_qr": ("GET", {"committee", "secretary"}),
    "study.meeting_code_regenerate": ("POST", {"committee", "secretary"}),
    "study.meeting_attendance": ("GET", {"committee", "secretary"}),
    "study.meeting_attendance_export": ("GET", {"committee", "secretary"}),
    "study.meeting_signin_sheet": ("GET", {"committee", "secretary"}),
    "study.meeting_minutes": ("GET", {"committee", "secretary"}),
    "study.meeting_reflections": ("GET", {"committee", "secretary"}),
    "study.reflection_grade": ("POST", {"committee", "secretary"}),
    "study.calendar_month": ("GET", EVERYONE),
    "study.calendar_feed_regenerate": ("POST", EVERYONE),
    "study.calendar_feed_qr": ("GET", EVERYONE),
    # The .ics feed is public: its unguessable token is the key (a bad token is 404, tested in tests/study).
    "study.calendar_feed": ("GET", PUBLIC),
    # 题库 and 每日一题: the bank and the daily schedule are for study.manage; every account may open the
    # daily page and answer (no roster person: told so).
    "study.bank_list": ("GET", {"committee", "secretary"}),
    "study.question_create": ("GET", {"committee", "secretary"}),
    "study.question_detail": ("GET", {"committee", "secretary"}),
    "study.question_edit": ("GET", {"committee", "secretary"}),
    "study.question_retire": ("POST", {"committee", "secretary"}),
    "study.question_restore": ("POST", {"committee", "secretary"}),
    "study.bank_import_start": ("GET", {"committee", "secretary"}),
    "study.bank_import_accept": ("POST", {"committee", "secretary"}),
    "study.bank_import_template": ("GET", {"committee", "secretary"}),
    "study.bank_export": ("GET", {"committee", "secretary"}),
    "study.daily_page": ("GET", EVERYONE),
    "study.daily_answer": ("POST", EVERYONE),
    "study.daily_manage": ("GET", {"committee", "secretary"}),
    "study.daily_pick": ("GET", {"committee", "secretary"}),
    "study.daily_unpick": ("POST", {"committee", "secretary"}),
    # 每周一测: every account may open the list (no roster person: told so); a test is for the members and
    # activists of its branches (branch_a: secretary, member, activist); an attempt only for its owner.
    "study.quiz_list": ("GET", EVERYONE),
    "study.quiz_intro": ("GET", {"secretary", "member", "activist"}),
    "study.quiz_start": ("POST", {"secretary", "member", "activist"}),
    "study.attempt_page": ("GET", {"member"}),
    "study.attempt_answer": ("POST", {"member"}),
    "study.attempt_save": ("POST", {"member"}),
    "study.attempt_submit": ("POST", {"member"}),
    "study.quiz_manage_list": ("GET", {"committee", "secretary"}),
    "study.quiz_new": ("GET", {"committee", "secretary"}),
    "study.quiz_edit": ("GET", {"committee", "secretary"}),
    "study.quiz_manage": ("GET", {"committee", "secretary"}),
    "study.quiz_publish": ("POST", {"committee", "secretary"}),
    "study.quiz_overrides": ("GET", {"committee", "secretary"}),
    "study.quiz_results_page": ("GET", {"committee", "secretary"}),
    "study.quiz_results_export": ("GET", {"committee", "secretary"}),
    # 六大员评选: the committee runs campaigns (and enters paper ballots); everyone on the roster of the
    # committee's branches sees a campaign past its draft (the admin has no roster person: 404). The
    # sample campaign is in publicity; 张三's evidence is for the committee, his secretary and himself.
    "exemplars.campaign_list": ("GET", EVERYONE),
    "exemplars.campaign_create": ("GET", {"committee"}),
    "exemplars.campaign_edit": ("GET", {"committee"}),
    "exemplars.campaign_detail": ("GET", EVERYONE - {"admin"}),
    "exemplars.campaign_advance": ("POST", {"committee"}),
    "exemplars.nominate": ("GET", EVERYONE - {"admin"}),
    "exemplars.nomination_list": ("GET", EVERYONE - {"admin"}),
    "exemplars.nomination_detail": ("GET", EVERYONE - {"admin"}),
    "exemplars.nomination_decide": ("POST", {"committee"}),
    "exemplars.nomination_withdraw": ("POST", EVERYONE - {"admin"}),
    "exemplars.nomination_file": ("GET", {"committee", "secretary", "member"}),
    "exemplars.flags": ("GET", {"committee"}),
    "exemplars.flag_close": ("POST", {"committee"}),
    "exemplars.vote": ("GET", EVERYONE - {"admin"}),
    "exemplars.vote_review": ("POST", EVERYONE - {"admin"}),
    "exemplars.vote_cast": ("POST", EVERYONE - {"admin"}),
    "exemplars.receipt": ("GET", EVERYONE - {"admin"}),  # nothing cast in this session: says the code is gone
    "exemplars.paper": ("GET", {"committee"}),
    "exemplars.paper_review": ("POST", {"committee"}),
    "exemplars.paper_cast": ("POST", {"committee"}),
    "exemplars.results_page": ("GET", EVERYONE - {"admin"}),
    "exemplars.results_export": ("GET", EVERYONE - {"admin"}),
    "exemplars.objection_create": ("POST", EVERYONE - {"admin"}),
    "exemplars.objection_decide": ("POST", {"committee"}),
    "exemplars.ballot_list": ("GET", EVERYONE - {"admin"}),
    "exemplars.ballot_find": ("POST", EVERYONE - {"admin"}),
    "exemplars.ballots_xlsx": ("GET", EVERYONE - {"admin"}),
    "exemplars.ballots_csv": ("GET", EVERYONE - {"admin"}),
    "exemplars.honours_wall": ("GET", EVERYONE),
    "exemplars.honours_export": ("GET", EVERYONE),
    "exemplars.honour_photo": ("GET", EVERYONE),
    # The inbox answers everyone; an account without a person is told it gets no messages.
    "inbox.index": ("GET", EVERYONE),
    "inbox.read_all": ("POST", EVERYONE),
    # Someone else's message id is a 404 for everyone (tested in tests/inbox).
    "inbox.open_message": ("POST", set()),
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
        "message_id": 999999,
        "org_id": world.branch_a.id,
        "unit_id": world.unit_a.id,
    }
    if {"article_id", "assignment_id"} & set(rule.arguments):
        values.update(_article_values(world))
    if {"meeting_id", "reflection_id", "feed_token"} & set(rule.arguments):
        from tests.study.meeting_helpers import sample_values

        values.update(sample_values(world))
    if {"campaign_id", "nomination_id", "flag_id", "objection_id", "honour_id"} & set(rule.arguments):
        from tests.exemplars.helpers import sample_values as exemplar_values

        values.update(exemplar_values(world))
    if "question_id" in rule.arguments:
        values["question_id"] = _question_id(world)
    if {"quiz_id", "attempt_id"} & set(rule.arguments):
        from tests.study.quiz_factories import sample_values as quiz_values

        values.update(quiz_values(world))
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: values[k] for k in rule.arguments})


def _question_id(world):
    """A question in the secretary's branch bank (the committee sees it too)."""
    from portal.extensions import db
    from portal.study.services import bank

    fields = bank.clean_question("single", "矩阵测试题", ["甲", "乙"], "A")
    question = bank.build_question(world.branch_a, fields)
    db.session.commit()
    return question.id


def _article_values(world):
    """An article of the secretary's branch, on today's plan for that branch."""
    from portal.core.clock import localnow
    from portal.extensions import db
    from portal.study.models.articles import Article, StudyAssignment

    article = Article(organisation=world.branch_a, title="矩阵测试文章", body="正文", reading_seconds=30,
                      published_on=localnow().date())
    assignment = StudyAssignment(article=article, organisation=world.branch_a, day=localnow().date())
    db.session.add_all([article, assignment])
    db.session.commit()
    return {"article_id": article.id, "assignment_id": assignment.id}


# What an allowed role gets when it is not the page itself (200): the path a redirect leads to, or
# the status of a refusal the view means for the empty or made-up request this table sends.
ANSWERS = {
    "accounts.logout": "/login",  # logged out
    "accounts.role_grant": "/accounts/",  # back to the account (the empty form is refused there)
    "accounts.role_revoke": "/accounts/",
    "accounts.user_disable": "/accounts/",
    "accounts.user_enable": "/accounts/",
    "accounts.user_unlock": "/accounts/",
    "credits.payout_sign": "/credits/payout",
    "exemplars.campaign_advance": "/exemplars/",  # the empty form: back to the campaign, told why
    "exemplars.flag_close": "/exemplars/flags",
    "exemplars.honours_export": 404,  # its address names no sample: the world has no honours yet
    "exemplars.nomination_decide": "/exemplars/nominations/",
    "exemplars.nomination_withdraw": "/exemplars/nominations/",  # past nomination: told so on the nomination
    "exemplars.objection_create": "/exemplars/",  # no winner or reason given: told so on the results
    "exemplars.objection_decide": "/exemplars/",
    "exemplars.paper_cast": "/exemplars/",  # an empty form: back to the polling page
    "exemplars.paper_review": "/exemplars/",  # no voter named: back to the polling page
    "exemplars.vote_cast": "/exemplars/",  # an empty form: back to the ballot
    "exemplars.vote_review": "/exemplars/",  # voting has closed: the ballot page says so
    "credits.reverse": "/credits/rankings",  # no reason given: told so, on the rankings
    "inbox.read_all": "/inbox/",
    "roster.import_accept": 404,  # batch 999999 does not exist
    "roster.import_errors": 404,
    "roster.org_create": 400,  # the empty form: the organisation page again, with why
    "roster.unit_create": 400,
    "study.article_read": 400,  # no reading token: the article again, with why
    "study.article_plan_delete": "/study/articles/plan",
    "study.article_restore": "/study/articles/",
    "study.article_retire": "/study/articles/",
    "study.attempt_answer": 400,  # no question named: the JSON refusal
    "study.attempt_save": "/study/attempts/",
    "study.attempt_submit": "/study/attempts/",
    "study.bank_import_accept": "/study/bank/import",
    "study.calendar_feed_regenerate": "/study/calendar",
    "study.calendar_feed_qr": 404,  # nobody in the matrix's world has asked for a subscription URL yet
    "study.daily_answer": "/study/daily/",  # nothing to answer today: told so on the page
    "study.daily_unpick": "/study/daily/manage",
    "study.meeting_attachment_delete": "/study/meetings/",
    "study.meeting_cancel": "/study/meetings/",
    "study.meeting_code_regenerate": "/study/meetings/",
    "study.meeting_leave": "/study/meetings/",
    "study.question_restore": "/study/bank/",
    "study.question_retire": "/study/bank/",
    "study.quiz_edit": "/study/quizzes/",  # a published test is not edited: its page instead
    "study.quiz_publish": "/study/quizzes/",
    "study.quiz_start": "/study/attempts/",
    "study.reflection_grade": "/study/meetings/",
}

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class _Writes:
    """The write statements run while active."""

    def __enter__(self):
        self.seen = []
        event.listen(db.engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._statement)

    def _statement(self, _conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(WRITES) or " RETURNING " in statement.upper():
            self.seen.append(statement)


def _fingerprint():
    """A digest of every row of every table: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_every_endpoint_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED), "add new endpoints to EXPECTED with the roles allowed"


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
@pytest.mark.parametrize("role", [ANON, *ROLES])
def test_access(app, client, world, endpoint, role):
    method, allowed = EXPECTED[endpoint]
    if role != ANON:
        login(client, getattr(world.users, role))
    url = _url(app, endpoint, world)
    before = _fingerprint() if method == "GET" else None
    with _Writes() as writes:
        response = client.open(url, method=method)
    if method == "GET":
        assert writes.seen == [], f"GET {url} wrote: {writes.seen}"
        assert _fingerprint() == before
    if allowed == PUBLIC:
        assert response.status_code in (200, 302), response.status_code
    elif role == ANON:
        assert response.status_code == 302 and "/login" in response.location
    elif role in allowed:
        answer = ANSWERS.get(endpoint, 200)
        if isinstance(answer, int):
            assert response.status_code == answer, (response.status_code, response.location)
        else:
            assert response.status_code == 302 and response.location.startswith(answer), (
                response.status_code, response.location)
    else:
        assert response.status_code in (403, 404), response.status_code
