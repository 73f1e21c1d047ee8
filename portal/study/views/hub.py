"""The study hub (/study/) and the sub-navigation every study page shows."""

from flask import render_template, request, url_for
from flask_login import current_user

from portal.core.permissions import login_required
from portal.study.views import blueprint

# Every study page a user can reach: (endpoint, label, one-line description, permission or
# None for anyone with a person on the roster). Each area adds its own entries here.
STUDY_NAV = [
    # What members do, then what secretaries and the committee manage.
    ("study.today", "每日一学", "今天和本周安排的学习文章，读完即记学习积分", None),
    ("study.daily_page", "每日一题", "每天一道题，答题后立即看到正确答案和解析，答对记积分", None),
    ("study.quiz_list", "每周一测", "本周测试：限时作答、自动保存，截止后查看答案和解析", None),
    ("study.meeting_list", "组织生活", "三会一课、主题党日和月度研讨：签到、请假、提交心得体会", None),
    ("study.calendar_month", "学习日历", "本月的组织生活日程，可订阅到手机日历", None),
    ("study.article_list", "学习文章", "撰写、预览、下架学习文章，按标题和标签查找", "study.manage"),
    ("study.article_plan", "学习安排", "把文章按日期安排给党支部，按周或按月查看", "study.manage"),
    ("study.reading_participation", "学习情况", "各支部今日、本周的文章阅读率和未读名单", "study.manage"),
    ("study.bank_list", "题库", "单选、多选、判断、填空题的录入、Excel 导入导出和停用", "study.manage"),
    ("study.daily_manage", "每日一题安排", "为各支部指定每日一题，查看每天的答题人数和正确率", "study.manage"),
    ("study.quiz_manage_list", "测试管理", "按规则从题库组卷、布置给支部、单独安排、成绩和逐题统计", "study.manage"),
    ("study.meeting_manage", "安排组织生活", "安排会议和学习材料，签到码、考勤、会议记录和心得评分", "study.manage"),
]


def study_links():
    """(url, label, description, endpoint) of the study pages the current user may open."""
    links = []
    for endpoint, label, description, permission in STUDY_NAV:
        if permission is None and current_user.person_id is None:
            continue
        if permission is not None and not current_user.has_permission(permission):
            continue
        links.append((url_for(endpoint), label, description, endpoint))
    return links


@blueprint.app_template_global("study_nav")
def study_nav():
    """(url, label, active) of the study pages for the pill navigation on every study page.

    A template global rather than a context variable, so the `subnav` macro sees it even when a
    template imports the macro without context.
    """
    if not current_user.is_authenticated:
        return []
    links = study_links()
    current = max((url for url, *_ in links if request.path.startswith(url)), key=len, default=None)
    return [(url, label, url == current) for url, label, _d, _e in links]


@blueprint.route("/")
@login_required
def index():
    """The study hub: one card per study page the user may open."""
    return render_template("study/index.html", links=study_links())
