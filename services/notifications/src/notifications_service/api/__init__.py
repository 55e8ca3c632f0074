"""HTTP API of the notifications service: one router module per area (notifications, mailings, support)."""
