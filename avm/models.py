"""Past sales the built-in valuation model prices from (issue 3, point 8)."""
