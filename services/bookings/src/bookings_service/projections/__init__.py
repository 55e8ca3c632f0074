"""Read models of the bookings service: its own bookings, and replicas of the catalogue and settings."""
