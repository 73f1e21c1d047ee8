"""The credit rules the study module awards, and how its ledger entries' sources are named.

Imported with the study services, so the rules exist wherever the study module does.
"""

from portal.credits import rules, services

READ = rules.register_rule("study_read", name="每日一学", points=1, daily_cap=2, applies_to=rules.STUDENTS,
                           description="阅读当日学习文章并达到最短阅读时间")
DAILY_QUESTION = rules.register_rule("daily_question", name="每日一题", points=1, daily_cap=1,
                                     applies_to=rules.STUDENTS, description="答对当日题目")
WEEKLY_TEST = rules.register_rule("weekly_test", name="每周一测", mode="score", points=10, weekly_cap=10,
                                  applies_to=rules.STUDENTS, description="按测试得分折算：满分 100 分得 10 积分")
SESSION_ATTEND = rules.register_rule("session_attend", name="参加组织生活", points=3, applies_to=rules.STUDENTS,
                                     description="参加三会一课、主题党日、月度研讨并签到")
REFLECTION = rules.register_rule("reflection", name="心得体会", mode="score", points=5, monthly_cap=10,
                                 applies_to=rules.STUDENTS,
                                 description="心得体会经支部书记评分后折算：满分 100 分得 5 积分")

services.register_source("article_read", "每日一学")
services.register_source("daily_answer", "每日一题")
services.register_source("quiz_attempt", "每周一测")
services.register_source("meeting", "组织生活")
services.register_source("reflection", "心得体会")
