"""The default credit rules: created on first use, then edited by the committee as new versions."""

from portal.roster.models import PoliticalStatus

STUDENTS = ",".join([PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY, PoliticalStatus.ACTIVIST])
MEMBERS = ",".join([PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY])
MANUAL = "manual"

# code -> the fields of version 1.
DEFAULT_RULES = {
    "study_read": dict(name="每日一学", points=1, daily_cap=2, applies_to=STUDENTS,
                       description="阅读当日学习文章并达到最短阅读时间"),
    "daily_question": dict(name="每日一题", points=1, daily_cap=1, applies_to=STUDENTS,
                           description="答对当日题目"),
    "weekly_test": dict(name="每周一测", mode="score", points=10, weekly_cap=10, applies_to=STUDENTS,
                        description="按测试得分折算：满分 100 分得 10 积分"),
    "session_attend": dict(name="参加组织生活", points=3, applies_to=STUDENTS,
                           description="参加三会一课、主题党日、月度研讨并签到"),
    "reflection": dict(name="心得体会", mode="score", points=5, monthly_cap=10, applies_to=STUDENTS,
                       description="心得体会经支部书记评分后折算：满分 100 分得 5 积分"),
    "mentoring_log": dict(name="导师结对记录", points=2, monthly_cap=8, applies_to="",
                          description="导师或联系人按月记录一次谈心或指导"),
    "wish_fulfilled": dict(name="圆梦微心愿", points=5, monthly_cap=20, applies_to=MEMBERS,
                           description="认领并完成群众微心愿，经心愿人点亮确认"),
    "exemplar_title": dict(name="六大员称号", points=20, applies_to="",
                           description="评选活动公示结束后获得六大员称号"),
    MANUAL: dict(name="手动加减分", points=0, manual_only=True, applies_to="",
                 description="党委按事实和理由加分或扣分，须写明原因"),
}
