"""Delivery of notifications: e-mail over SMTP (aiosmtplib), the sender loop with retries."""
