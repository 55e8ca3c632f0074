"""What routes need from the composition root, and who the caller is in domain terms."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from authkit import Principal
from contracts.permissions import EVENTS_MANAGE_ANY

from events_service.application import Events
from events_service.domain import Actor, fallback_payment_methods
from events_service.projections.attendance import Attendance
from events_service.projections.catalogue_query import Catalogue
from events_service.projections.lease_use import LeaseUse
from events_service.projections.reviews_query import Reviews


def get_events(request: Request) -> Events:
    return request.app.state.container.events


def get_catalogue(request: Request) -> Catalogue:
    return request.app.state.container.catalogue


def get_lease_use(request: Request) -> LeaseUse:
    return request.app.state.container.lease_use


def get_reviews(request: Request) -> Reviews:
    return request.app.state.container.reviews


def get_attendance(request: Request) -> Attendance:
    return request.app.state.container.attendance


def get_payment_methods(request: Request) -> tuple[str, ...]:
    """The payment methods an event may advertise now: as payments last announced them, or (before it has)
    what it enables by default in this environment."""
    container = request.app.state.container
    known = container.payment_methods.known()
    if known is None:
        return fallback_payment_methods(production=container.settings.production)
    return tuple(known)


def actor_of(principal: Principal) -> Actor:
    """The caller as the Event aggregate sees them."""
    return Actor(user_id=principal.user_id, may_manage_any=principal.can(EVENTS_MANAGE_ANY))


EventsApp = Annotated[Events, Depends(get_events)]
CatalogueReader = Annotated[Catalogue, Depends(get_catalogue)]
ReviewsReader = Annotated[Reviews, Depends(get_reviews)]
LeaseUseReader = Annotated[LeaseUse, Depends(get_lease_use)]
AttendanceReader = Annotated[Attendance, Depends(get_attendance)]
EnabledMethods = Annotated[tuple[str, ...], Depends(get_payment_methods)]
