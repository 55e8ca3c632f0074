"""Reactions of the bookings service: the saga handler on events.v1/payments.v1 and the worker's timer."""
