"""The events service: the event catalogue and seat capacity (DESIGN §4 "events")."""
