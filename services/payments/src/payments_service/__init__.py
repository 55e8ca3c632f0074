"""The payments service: payments with providers, refunds, and each user's wallet (DESIGN §4 payments)."""
