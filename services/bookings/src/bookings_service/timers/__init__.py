"""Timers: the worker's periodic sweeps (deadlines, stuck sagas, seat leases), run by `Worker.add_timer`."""
