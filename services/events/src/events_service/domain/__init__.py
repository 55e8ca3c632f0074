"""Business rules of the events service: the Event aggregate and its details. No I/O, no frameworks."""

from events_service.domain.details import PAYMENT_METHODS, EventDetails
from events_service.domain.errors import (
    CapacityBelowSeatsTaken, EmptyTitle, EventAlreadyCancelled, EventNotFound, EventRuleViolation,
    InvalidCurrency, InvalidEventDetails, InvalidPaymentMethods, InvalidPrice, NonPositiveCapacity,
    NonPositiveDuration, NotEventOrganizer, StartNotInFuture,
)
from events_service.domain.event import CANCELLED, SCHEDULED, Actor, Event

__all__ = [
    "CANCELLED", "PAYMENT_METHODS", "SCHEDULED", "Actor", "CapacityBelowSeatsTaken", "EmptyTitle", "Event",
    "EventAlreadyCancelled", "EventDetails", "EventNotFound", "EventRuleViolation", "InvalidCurrency",
    "InvalidEventDetails", "InvalidPaymentMethods", "InvalidPrice", "NonPositiveCapacity", "NonPositiveDuration",
    "NotEventOrganizer", "StartNotInFuture",
]
