"""Timers: the worker's periodic sweeps (deadlines, stuck sagas), run by `Worker.add_timer`."""
