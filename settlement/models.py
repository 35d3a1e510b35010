"""Settlement, sale documents, report-back outbox (issue 6)."""
