"""Delivery of notifications: rendering, calendar files and e-mail over SMTP (aiosmtplib); the senders that
use them run as timers (`timers/`)."""
