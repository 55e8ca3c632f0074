"""Timers: the worker's periodic sweeps (the stuck-payment reconciler), run by `Worker.add_timer`."""
