"""The public language between services: envelope, topics, events and commands (DESIGN §3).

Importing the package registers every message model.
"""

from contracts import bookings, events, payments, support, users  # noqa: F401  (registration side effect)
from contracts.envelope import Envelope
from contracts.registry import parse_payload, payload_model, registered, wrap

__all__ = ["Envelope", "parse_payload", "payload_model", "registered", "wrap"]
