"""Valuation models (issue 3)."""
