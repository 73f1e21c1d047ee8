"""The study module's rules, one module per area (articles, daily, quizzes, meetings)."""
