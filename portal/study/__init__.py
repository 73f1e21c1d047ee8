"""Study plans (学习计划): 每日一学, 每日一题, 每周一测, 每月一研讨 and the other branch sessions."""
