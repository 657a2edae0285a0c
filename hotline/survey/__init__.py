"""Satisfaction survey at the end of the call, 回访 follow-up calls, 满意率 (issue 13)."""
