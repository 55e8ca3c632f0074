"""Local views of users, events and bookings, built from their topics (never by calling the services)."""
