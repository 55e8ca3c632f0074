"""Business rules of notifications: what a public event means to whom, categories, preferences (no I/O)."""
