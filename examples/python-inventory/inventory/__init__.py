"""Stock, orders and pricing for a small shop."""
