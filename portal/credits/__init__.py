"""Study credits (学习积分): an append-only ledger, versioned rules, periods and rankings."""
