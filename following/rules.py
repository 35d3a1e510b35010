"""When the time-based notices are due (docs/notifications.md)."""

from datetime import timedelta

REMINDER_LEAD = timedelta(minutes=30)  # 设置提醒: told this long before bidding opens
ENDING_LEAD = timedelta(minutes=5)  # "5 minutes left" (A20: every bid in the last 5 minutes extends)
BALANCE_REMINDERS_DAYS = (3, 1)  # balance due in 3 days, then in 1 day (A25 deadline)
