"""HTTP API of the bookings service."""
