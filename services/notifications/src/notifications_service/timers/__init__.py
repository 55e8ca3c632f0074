"""Timers: the worker's periodic senders (e-mail outbox, scheduled mailings), run by `Worker.add_timer`."""
