"""题库 and 每日一题 in the demo mine: a real-looking bank, recent daily questions and answers.

The committee's bank holds about sixty questions on 党章党规、三会一课、安全生产、煤矿安全规程
(all four kinds, with explanations); the first branch has a few questions of its own. The last
two weeks get their daily questions (some picked by the committee or the branch, the rest
drawn) and the answers members would have given after their shifts. The demo accounts have not
answered today, so they find the question waiting. Credits go through credits.award() only when
the ledger has no daily_question entries yet (`--activity-days` already stands for them).

Nothing is committed here: the command commits once.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import insert, select

from portal.accounts.models import RoleGrant, User
from portal.core import clock
from portal.core.permissions import Role
from portal.credits import services as credits
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.roster.models import Person, PersonStatus
from portal.study.models.daily import DailyAnswer, DailyQuestion
from portal.study.models.questions import OPTION_LETTERS
from portal.study.services import bank, daily, marking

PAST_DAYS = 14
STUDENT_STATUSES = ("正式党员", "预备党员", "入党积极分子")

# (kind, stem, options, answer, explanation, difficulty, tags)
COMMITTEE_QUESTIONS = [
    # 党章党规
    ("single", "党的最高领导机关是（  ）。",
     ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央纪律检查委员会"], "A",
     "《中国共产党章程》第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。", 1, "党章党规"),
    ("single", "预备党员的预备期为（  ）。", ["半年", "一年", "两年", "三年"], "B",
     "《党章》第七条：预备党员的预备期为一年。", 1, "党章党规"),
    ("single", "党员如果没有正当理由，连续（  ）不参加党的组织生活，或不交纳党费，"
               "或不做党所分配的工作，就被认为是自行脱党。",
     ["三个月", "六个月", "九个月", "十二个月"], "B", "《党章》第九条。", 2, "党章党规"),
    ("single", "党的纪律处分有（  ）种。", ["三", "四", "五", "六"], "C",
     "警告、严重警告、撤销党内职务、留党察看、开除党籍，共五种。", 2, "党章党规"),
    ("single", "留党察看最长不超过（  ）。", ["半年", "一年", "两年", "三年"], "C",
     "《党章》第四十条：留党察看最长不超过两年。", 3, "党章党规"),
    ("single", "年满（  ）岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子，可以申请加入中国共产党。",
     ["十六", "十八", "二十", "二十二"], "B", "《党章》第一条。", 1, "党章党规"),
    ("single", "《中国共产党纪律处分条例》规定的六项纪律中，排在首位的是（  ）。",
     ["组织纪律", "廉洁纪律", "政治纪律", "工作纪律"], "C",
     "六项纪律：政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律、生活纪律，政治纪律是最根本、最重要的纪律。", 2,
     "党章党规、纪律建设"),
    ("multiple", "党的纪律处分包括（  ）。",
     ["警告", "严重警告", "撤销党内职务", "留党察看", "降级", "开除党籍"], "ABCDF",
     "“降级”是政务处分，不是党纪处分。", 3, "党章党规、纪律建设"),
    ("multiple", "民主集中制的基本原则包括（  ）。",
     ["党员个人服从党的组织", "少数服从多数", "下级组织服从上级组织", "上级组织服从下级组织"], "ABC",
     "还包括：全党各个组织和全体党员服从党的全国代表大会和中央委员会。", 3, "党章党规"),
    ("true_false", "预备党员享有表决权、选举权和被选举权。", [], "错",
     "预备党员的权利，除了没有表决权、选举权和被选举权以外，也同正式党员一样。", 2, "党章党规"),
    ("true_false", "党员有权在党的会议上和党报党刊上，参加关于党的政策问题的讨论。", [], "对",
     "《党章》第四条规定的党员权利之一。", 1, "党章党规"),
    ("true_false", "党的纪律主要包括政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律、生活纪律。", [], "对",
     "见《中国共产党纪律处分条例》。", 2, "党章党规、纪律建设"),
    ("fill", "中国共产党以____、毛泽东思想、邓小平理论、“三个代表”重要思想、科学发展观、"
             "习近平新时代中国特色社会主义思想作为自己的行动指南。",
     [], "马克思列宁主义/马列主义", "《党章》总纲。", 1, "党章党规"),
    ("fill", "党的最高理想和最终目标是实现____。", [], "共产主义", "《党章》总纲。", 1, "党章党规"),
    ("fill", "入党誓词：……对党忠诚，积极工作，为共产主义奋斗终身，随时准备为党和人民牺牲一切，永不____。",
     [], "叛党", "入党誓词见《党章》第六条。", 2, "党章党规"),
    ("fill", "企业、农村、机关、学校等基层单位，凡是有正式党员____人以上的，都应当成立党的基层组织。",
     [], "三/3", "《党章》第三十条。", 2, "党章党规、三会一课"),
    # 三会一课
    ("multiple", "“三会一课”中的“三会”是指（  ）。",
     ["支部党员大会", "支部委员会会议", "党小组会", "职工代表大会"], "ABC",
     "“三会一课”：支部党员大会、支部委员会会议、党小组会和党课。", 1, "三会一课"),
    ("single", "“三会一课”中的“一课”是指（  ）。", ["党课", "团课", "安全培训课", "形势任务课"], "A",
     "“一课”即按期上好党课。", 1, "三会一课"),
    ("single", "支部党员大会一般（  ）召开一次。", ["每月", "每季度", "每半年", "每年"], "B",
     "《中国共产党支部工作条例（试行）》：党员大会一般每季度召开1次。", 2, "三会一课"),
    ("single", "党支部委员会会议一般（  ）召开一次。", ["每月", "每季度", "每半年", "每年"], "A",
     "支部委员会会议一般每月召开1次，根据需要可以随时召开。", 2, "三会一课"),
    ("single", "党小组会一般（  ）召开一次。", ["每周", "每月", "每季度", "每半年"], "B",
     "党小组会一般每月召开1次。", 2, "三会一课"),
    ("single", "党员（  ）人以上的党支部，设立党支部委员会。", ["3", "5", "7", "9"], "C",
     "党员7人以上的党支部设立支部委员会；不足7人的不设支委会，设书记1名，必要时设副书记1名。", 3, "三会一课、党章党规"),
    ("single", "正式党员不足（  ）人的单位，应当按照地域相邻、行业相近、规模适当、便于管理的原则，成立联合党支部。",
     ["3", "5", "7", "10"], "A", "", 3, "三会一课"),
    ("single", "党支部一般每年开展（  ）次民主评议党员。", ["1", "2", "3", "4"], "A", "", 2, "三会一课"),
    ("multiple", "民主评议党员，评议结果一般分为（  ）。", ["优秀", "合格", "基本合格", "不合格", "良好"], "ABCD",
     "", 3, "三会一课"),
    ("true_false", "党支部每月相对固定1天开展主题党日。", [], "对",
     "《中国共产党支部工作条例（试行）》：党支部每月相对固定1天开展主题党日。", 1, "三会一课"),
    ("true_false", "党支部组织生活会一般每季度召开一次。", [], "错",
     "组织生活会一般每年召开1次，开展批评和自我批评。", 2, "三会一课"),
    ("true_false", "党的总支部委员会、支部委员会每届任期3年。", [], "对", "《党章》第三十一条。", 3,
     "三会一课、党章党规"),
    ("fill", "党支部书记每年至少为党员讲党课____次。", [], "1/一", "", 2, "三会一课"),
    ("fill", "党支部组织党员按期参加党员大会、党小组会和上党课，定期召开支部委员会会议，简称“____”。",
     [], "三会一课", "", 1, "三会一课"),
    # 安全生产
    ("single", "我国安全生产工作的方针是（  ）。",
     ["安全第一、预防为主、综合治理", "生产第一、安全第二", "预防为主、防治结合", "以人为本、安全发展"], "A",
     "《安全生产法》第三条。", 1, "安全生产"),
    ("single", "生产经营单位的（  ）是本单位安全生产第一责任人，对本单位的安全生产工作全面负责。",
     ["安全科长", "主要负责人", "总工程师", "工会主席"], "B", "《安全生产法》第五条。", 1, "安全生产"),
    ("single", "事故处理“四不放过”原则不包括（  ）。",
     ["事故原因未查清不放过", "责任人员未处理不放过", "经济损失未追回不放过", "整改措施未落实不放过"], "C",
     "四不放过：原因未查清、责任人员未处理、整改措施未落实、有关人员未受到教育不放过。", 2, "安全生产"),
    ("single", "特种作业人员必须经专门的安全作业培训，取得（  ）后，方可上岗作业。",
     ["特种作业操作证", "毕业证书", "职称证书", "健康证明"], "A", "", 1, "安全生产"),
    ("single", "安全色中表示禁止、停止的颜色是（  ）。", ["红色", "蓝色", "黄色", "绿色"], "A",
     "红色表示禁止、停止；蓝色表示指令；黄色表示警告；绿色表示提示、安全状态。", 1, "安全生产"),
    ("multiple", "从业人员享有的安全生产权利包括（  ）。",
     ["了解作业场所和工作岗位存在的危险因素", "拒绝违章指挥和强令冒险作业",
      "发现直接危及人身安全的紧急情况时停止作业或撤离", "不佩戴劳动防护用品"], "ABC",
     "佩戴和使用劳动防护用品是从业人员的义务。", 2, "安全生产"),
    ("multiple", "“四不伤害”是指（  ）。",
     ["不伤害自己", "不伤害他人", "不被他人伤害", "保护他人不受伤害", "不伤害设备"], "ABCD", "", 1, "安全生产"),
    ("multiple", "安全色包括（  ）。", ["红色", "蓝色", "黄色", "绿色", "黑色"], "ABCD",
     "黑色、白色是对比色，不是安全色。", 2, "安全生产"),
    ("true_false", "生产经营单位可以用货币或者其他物品替代应当配备的劳动防护用品。", [], "错",
     "《安全生产法》规定生产经营单位必须为从业人员提供符合标准的劳动防护用品，不得以货币或者其他物品替代。", 1,
     "安全生产"),
    ("true_false", "从业人员发现事故隐患或者其他不安全因素，应当立即向现场安全生产管理人员或者本单位负责人报告。",
     [], "对", "", 1, "安全生产、隐患排查"),
    ("true_false", "煤矿新上岗的从业人员，安全培训时间不得少于72学时。", [], "对",
     "《生产经营单位安全培训规定》：煤矿等单位新上岗从业人员安全培训不少于72学时，每年再培训不少于20学时。", 3,
     "安全生产、煤矿安全规程"),
    ("fill", "安全生产中的“三违”是指违章指挥、____、违反劳动纪律。", [], "违章作业", "", 1, "安全生产"),
    ("fill", "煤矿从业人员每年再培训的时间不得少于____学时。", [], "20/二十", "", 3, "安全生产"),
    # 煤矿安全规程
    ("single", "井下采掘工作面的进风流中，氧气浓度不得低于（  ）。", ["18%", "19%", "20%", "21%"], "C",
     "《煤矿安全规程》：采掘工作面的进风流中，氧气浓度不低于20%，二氧化碳浓度不超过0.5%。", 2,
     "煤矿安全规程、一通三防"),
    ("single", "采掘工作面及其他作业地点风流中瓦斯浓度达到（  ）时，必须停止用电钻打眼。",
     ["0.5%", "0.8%", "1.0%", "1.5%"], "C", "", 3, "煤矿安全规程、一通三防"),
    ("single", "矿井必须至少有（  ）个能行人的通达地面的安全出口。", ["1", "2", "3", "4"], "B", "", 2, "煤矿安全规程"),
    ("single", "井下工作人员必须熟悉（  ）的使用方法，并熟悉本工作区域的避灾路线。",
     ["自救器", "瓦斯检测仪", "灭火器", "风表"], "A", "", 1, "煤矿安全规程、应急避险"),
    ("single", "煤矿的“三大规程”不包括（  ）。", ["《煤矿安全规程》", "作业规程", "操作规程", "矿井设计规范"], "D",
     "三大规程：《煤矿安全规程》、作业规程、操作规程。", 2, "煤矿安全规程"),
    ("single", "发生瓦斯爆炸时，井下人员正确的避险方法是（  ）。",
     ["背向冲击波方向俯卧，用湿毛巾捂住口鼻，迅速戴好自救器", "迎着冲击波方向奔跑", "躲进独头巷道深处",
      "立即乘坐运输设备升井"], "A", "", 2, "煤矿安全规程、应急避险"),
    ("multiple", "入井人员必须（  ）。",
     ["戴安全帽", "随身携带自救器", "随身携带矿灯", "携带烟草和点火物品", "穿化纤衣服"], "ABC",
     "《煤矿安全规程》：入井人员必须戴安全帽、随身携带自救器和矿灯，严禁携带烟草和点火物品，严禁穿化纤衣服。", 1,
     "煤矿安全规程"),
    ("multiple", "井下透水事故发生前可能出现的预兆有（  ）。",
     ["煤壁“挂汗”", "煤壁“挂红”", "空气变冷、出现雾气", "有“水叫”声", "瓦斯浓度降为零"], "ABCD", "", 3,
     "煤矿安全规程、防治水"),
    ("multiple", "煤矿“一通三防”中的“三防”是指（  ）。", ["防治瓦斯", "防治煤尘", "防灭火", "防治水", "防冲击地压"],
     "ABC", "“一通三防”：加强通风，防治瓦斯、防治煤尘、防灭火。", 2, "煤矿安全规程、一通三防"),
    ("true_false", "井下严禁使用灯泡取暖和使用电炉。", [], "对", "", 1, "煤矿安全规程"),
    ("true_false", "入井人员可以穿化纤衣服。", [], "错", "化纤衣服易产生静电火花，严禁穿着入井。", 1, "煤矿安全规程"),
    ("true_false", "煤矿企业必须建立入井检身制度和出入井人员清点制度。", [], "对", "", 1, "煤矿安全规程"),
    ("true_false", "采煤工作面必须及时支护，严禁空顶作业。", [], "对", "", 1, "煤矿安全规程、顶板管理"),
    ("fill", "爆破作业必须执行“一炮三检”和“____”爆破制度。", [], "三人连锁", "", 3, "煤矿安全规程"),
    ("fill", "“敲帮问顶”是检查作业地点____和两帮安全情况的方法。", [], "顶板", "", 1, "煤矿安全规程、顶板管理"),
    ("fill", "井下出现紧急情况撤离时，应当沿____路线撤离到安全地点。", [], "避灾", "", 2, "煤矿安全规程、应急避险"),
]

# The first branch's own questions (a coal-face team's bank).
BRANCH_QUESTIONS = [
    ("single", "综采工作面液压支架的初撑力不得低于规定值的（  ）。", ["60%", "70%", "80%", "90%"], "C",
     "本队作业规程规定：支架初撑力不低于额定值的80%，班中由支架工逐架检查。", 3, "本队规程、顶板管理"),
    ("true_false", "采煤机割煤时，人员可以在滚筒附近清理浮煤。", [], "错",
     "采煤机运转时严禁人员靠近滚筒，清浮煤须停机闭锁。", 1, "本队规程"),
    ("multiple", "检修采煤机前必须做到（  ）。", ["停电", "闭锁", "挂停电牌", "通知调度后即可直接作业"], "ABC",
     "“停电、闭锁、挂牌”是检修前的必做步骤。", 2, "本队规程、机电安全"),
    ("fill", "本队班前会要求每名党员负责一段____区，班中巡查一次。", [], "作业/责任", "", 1, "本队规程、党员责任区"),
]


@dataclass
class BankDemo:
    """What load() built, for the summary the command prints."""

    questions: int
    daily_questions: int
    answers: int
    credited: int


def _utc(day, minutes):
    """The aware UTC moment of a local date plus minutes after local midnight."""
    local = datetime.combine(day, time(), clock.LOCAL_TZ) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _user_with(role, org):
    return db.session.scalar(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == role, RoleGrant.organisation_id == org.id).order_by(User.id).limit(1))


def _add(org, rows, author):
    added = []
    for kind, stem, options, answer, explanation, difficulty, tags in rows:
        fields = bank.clean_question(kind, stem, options, answer, explanation, difficulty, tags)
        added.append(bank.build_question(org, fields, author))
    db.session.flush()
    return added


def load(committee, branches, people=None, rng=None, today=None):
    """Build the bank, the last PAST_DAYS days of daily questions (picked or drawn) and answers.

    `people` is not needed (answerers are read from the roster); the parameter keeps the shape the
    other demo loaders share.
    """
    import random

    rng = rng or random.Random(2026)  # noqa: S311 - reproducible demo data, not a secret
    today = today or clock.localnow().date()
    committee_user = _user_with(Role.COMMITTEE, committee)
    secretary = _user_with(Role.SECRETARY, branches[0]) if branches else None
    committee_questions = _add(committee, COMMITTEE_QUESTIONS, committee_user)
    branch_questions = _add(branches[0], BRANCH_QUESTIONS, secretary) if branches else []
    days = [today - timedelta(days=back) for back in range(PAST_DAYS - 1, -1, -1)]
    # The committee picks a 党章党规 question for every Monday; the first branch picks its own on Wednesdays.
    party_rules = [q for q in committee_questions if "党章党规" in q.tag_names]
    for index, day in enumerate(d for d in days if d.weekday() == 0):
        _pick(committee, day, party_rules[index % len(party_rules)], committee_user)
    for index, day in enumerate(d for d in days if d.weekday() == 2):
        if branch_questions:
            _pick(branches[0], day, branch_questions[index % len(branch_questions)], secretary)
    shown = {}
    for day in days:
        for branch in branches:
            resolved = daily.resolve(branch, day)
            if resolved.question is not None:
                shown[(branch.id, day)] = daily.ensure_row(branch, day, resolved)
    db.session.flush()
    answers = _answers(rng, shown, branches, today)
    credited = _credit() if _ledger_has_no_daily_question() else 0
    return BankDemo(len(committee_questions) + len(branch_questions), len(set(shown.values())), len(answers),
                    credited)


def _pick(org, day, question, user):
    db.session.add(DailyQuestion(organisation_id=org.id, day=day, question_id=question.id, auto=False,
                                 picked_by_id=user.id if user else None,
                                 created_at=_utc(day - timedelta(days=2), 10 * 60)))
    db.session.flush()


def _answers(rng, shown, branches, today):
    """Most members answer after their shift; about four in five get it right (fewer on hard ones)."""
    now = clock.utcnow()
    with_account = set(db.session.scalars(select(User.person_id).where(User.person_id.is_not(None))))
    members = db.session.execute(
        select(Person.id, Person.branch_id).where(
            Person.status == PersonStatus.ON_POST, Person.political_status.in_(STUDENT_STATUSES),
            Person.branch_id.in_([b.id for b in branches])).order_by(Person.id)).all()
    keen = {person_id: min(0.95, max(0.15, rng.gauss(0.7, 0.2))) for person_id, _ in members}
    rows = []
    for (branch_id, day), row in sorted(shown.items(), key=lambda item: (item[0][1], item[0][0])):
        question = row.question
        for person_id, member_branch in members:
            if member_branch != branch_id or rng.random() > keen[person_id]:
                continue
            if day == today and person_id in with_account:
                continue  # the demo accounts find today's question still to answer
            answered_at = _utc(day, rng.randint(15 * 60 + 30, 22 * 60 + 30)) + timedelta(seconds=rng.randint(0, 59))
            if answered_at > now:
                continue
            right = rng.random() < 0.95 - 0.06 * question.difficulty
            given = question.answer if right else _wrong(rng, question)
            if question.kind == "fill" and right:
                given = [rng.choice(alternatives) for alternatives in question.answer]
            rows.append(dict(daily_question_id=row.id, person_id=person_id, branch_id=branch_id, day=day,
                             given=given, correct=marking.is_correct(question.kind, question.answer, given),
                             answered_at=answered_at))
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(DailyAnswer), rows[start:start + 2000])
    return rows


def _wrong(rng, question):
    """A believable wrong answer: a neighbouring option, a missed option, the opposite, a near word."""
    key = question.answer
    if question.kind == "true_false":
        return ["F"] if key == ["T"] else ["T"]
    if question.kind == "fill":
        return ["不清楚" if rng.random() < 0.3 else alternatives[0][:-1] or "无" for alternatives in key]
    letters = list(OPTION_LETTERS[:len(question.options)])
    if question.kind == "single":
        return [rng.choice([letter for letter in letters if letter not in key])]
    if rng.random() < 0.5 and len(key) > 2:
        return sorted(rng.sample(key, len(key) - 1))  # missed one
    extra = [letter for letter in letters if letter not in key]
    return sorted(set(key[:-1]) | {rng.choice(extra)}) if extra else key[:1]


def _ledger_has_no_daily_question():
    return db.session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.rule_code == daily.CREDIT_RULE).limit(1)) is None


def _credit():
    """One daily_question credit per correct answer through credits.award(), as a real answer earns it."""
    answers = db.session.execute(select(DailyAnswer.id, DailyAnswer.person_id, DailyAnswer.answered_at)
                                 .where(DailyAnswer.correct.is_(True))
                                 .order_by(DailyAnswer.answered_at, DailyAnswer.id)).all()
    people = {p.id: p for p in db.session.scalars(select(Person).where(
        Person.id.in_(sorted({person_id for _a, person_id, _t in answers}))))}
    credited = 0
    for answer_id, person_id, answered_at in answers:
        if credits.award(people[person_id], daily.CREDIT_RULE, credits.Source("daily_answer", answer_id),
                         when=answered_at).entry is not None:
            credited += 1
    return credited
