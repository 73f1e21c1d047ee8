"""The study module's rules, one module per area (articles, daily, quizzes, meetings).

Loading any study service (the views and jobs all do) registers what the study module gives the
credits module, which cannot import it: its credit rules and ledger source names, and its
checks on 异常提醒.
"""

from portal.study.services import anomalies, credit_rules  # noqa: F401
