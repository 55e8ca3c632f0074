"""The users service: identity, sessions, roles and platform settings (DESIGN §4 users)."""
