"""Hooks of the quiz_submit_storm scenario: 1,500 members autosave and hand in a weekly test at once.

- setup: a small bank (tag 压测) in the committee's bank, and 1,500 members on post with a log-in
  session each (tests/bench/accounts.py: accounts added in bulk where missing, sessions made as a
  log-in makes them).
- before_run: a fresh test, assigned to every branch, and an open attempt for each of the 1,500
  members drawn through the portal's own services (attempts.start), so every run has 1,500
  papers to save and hand in. The members file lists "attempt id, Cookie header, CSRF token,
  number of questions".
- wrk/quiz_storm.lua: in waves of members, autosave question 1 (B), question 2 (C), then 交卷,
  which posts the whole paper as the browser does (every question shown, the two answers ticked);
  it acknowledges a save only on a 200 whose JSON says saved, and a submit on the 302 back to
  the attempt page.
- count_after: every acknowledged save is stored with its value and every acknowledged submit
  left a finished attempt (else "lost"); no person has two attempts at the test, and no attempt
  was credited twice or credited while still open (else "duplicated").
"""

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from portal.core.clock import utcnow
from portal.core.permissions import Role
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import Organisation, OrgKind, Person, PersonStatus
from portal.study.models.questions import QuestionTag
from portal.study.models.quizzes import AttemptItem, AttemptStatus, QuizAttempt
from portal.study.services import attempts, bank, quizzes
from portal.study.services.quizzes import RuleSpec
from tests.bench import accounts, servers
from tests.bench.portal_hooks import demo_user

MEMBERS = 1500
TAG = "压测"
PLAN = {1: "B", 2: "C"}  # position -> the option letter each member saves
_state = {"runs": 0}


def _bench_bank(committee):
    """Ten single-choice and five true/false questions tagged 压测 in the committee's bank (once)."""
    have = db.session.scalar(select(func.count()).select_from(QuestionTag).where(QuestionTag.tag == TAG))
    if have:
        return
    for n in range(10):
        fields = bank.clean_question("single", f"压测单选题 {n + 1}：井下作业前应当（  ）。",
                                     ["检查作业环境", "直接开工", "先抽烟", "不戴安全帽"], "A", "先检查作业环境。",
                                     2, [TAG])
        bank.build_question(committee, fields)
    for n in range(5):
        fields = bank.clean_question("true_false", f"压测判断题 {n + 1}：发现隐患应当立即报告。", [], "对", "", 1,
                                     [TAG])
        bank.build_question(committee, fields)
    db.session.flush()


def _members(branch_ids):
    """The first 1,500 members and activists on post in the mine's branches (by id): who sits a test."""
    return db.session.scalars(select(Person).where(
        Person.branch_id.in_(branch_ids), Person.status == PersonStatus.ON_POST,
        Person.political_status.in_(quizzes.TAKER_STATUSES)).order_by(Person.id).limit(MEMBERS)).all()


def storm_setup(bench):
    """Bank, 1,500 member accounts and their sessions (once per database)."""
    committee = roster.root_organisation()
    branches = db.session.scalars(select(Organisation.id).where(Organisation.kind == OrgKind.BRANCH)).all()
    _bench_bank(committee)
    people = _members(branches)
    if len(people) < MEMBERS:
        raise LookupError(f"the bench mine has only {len(people)} members and activists on post (need {MEMBERS})")
    users, created = accounts.ensure_accounts(people)
    db.session.commit()
    _state.update(committee_id=committee.id, branch_ids=list(branches), people=[p.id for p in people],
                  users={p.id: users[p.id].id for p in people},
                  sessions=accounts.sessions(bench, [users[p.id] for p in people]))
    return {"threads": servers.THREADS,
            "note": f"{MEMBERS} members ({created} accounts added), 2 autosaves + 1 submit each"}


def storm_before_run(bench):
    """A fresh test with an open attempt for each of the 1,500 members; the members file for wrk."""
    _state["runs"] += 1
    committee = db.session.get(Organisation, _state["committee_id"])
    actor = demo_user(Role.COMMITTEE)
    now = utcnow()
    quiz = quizzes.save_quiz(
        actor, organisation=committee, title=f"压测测试 {_state['runs']}", opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1), branch_ids=_state["branch_ids"], time_limit=60,
        rules=[RuleSpec("single", 5, tag=TAG), RuleSpec("true_false", 3, tag=TAG)])
    quizzes.publish(actor, quiz)
    db.session.commit()
    pools = quizzes.rule_pools(quiz)
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(_state["people"])))}
    lines = []
    for index, person_id in enumerate(_state["people"], start=1):
        attempt = attempts.start(SimpleNamespace(person=people[person_id]), quiz, pools=pools)
        cookie, token = _state["sessions"][_state["users"][person_id]]
        lines.append(f"{attempt.id}\t{cookie}\t{token}\t{len(attempt.items)}")
        if index % 250 == 0:
            db.session.commit()
    db.session.commit()
    _state["quiz_id"] = quiz.id
    path = bench.tmp / f"quiz-members-{_state['runs']}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"members_file": str(path)}


def storm_count(bench, run):
    """Lost: an acknowledged save not stored as sent, or an acknowledged submit left open.

    Duplicated: a person with two attempts at the test, an attempt credited twice, or credited open.
    """
    quiz_id = _state["quiz_id"]
    by_id = {a.id: a for a in db.session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id))}
    saves, submits = set(), set()
    for token in run.acked:
        kind, _, rest = token.partition(":")
        if kind == "save":
            attempt_id, _, position = rest.partition(":")
            saves.add((int(attempt_id), int(position)))
        elif kind == "submit":
            submits.add(int(rest))
    stored = {(i.attempt_id, i.position): i.given for i in db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id.in_(list(by_id)), AttemptItem.position.in_(list(PLAN))))}
    lost = sum(1 for key in saves if key[0] not in by_id or stored.get(key) != [PLAN[key[1]]])
    lost += sum(1 for a in submits if a not in by_id or by_id[a].status == AttemptStatus.OPEN)
    twice = db.session.scalar(select(func.count()).select_from(
        select(QuizAttempt.person_id).where(QuizAttempt.quiz_id == quiz_id).group_by(QuizAttempt.person_id)
        .having(func.count() > 1).subquery()))
    credits = db.session.execute(
        select(LedgerEntry.source_id, func.count()).where(
            LedgerEntry.source_type == "quiz_attempt", LedgerEntry.source_id.in_(list(by_id)))
        .group_by(LedgerEntry.source_id)).all()
    duplicated = twice + sum(n - 1 for _, n in credits if n > 1)
    duplicated += sum(1 for source_id, _ in credits if by_id[source_id].status == AttemptStatus.OPEN)
    finished = sum(1 for a in by_id.values() if a.status != AttemptStatus.OPEN)
    return {"written": finished + sum(1 for g in stored.values() if g), "lost": lost, "duplicated": duplicated,
            "acked_saves": len(saves), "acked_submits": len(submits), "finished": finished}
