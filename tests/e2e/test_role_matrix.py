"""Endpoint × role matrix: every route of every service, called through the gateway as anonymous,
participant, organizer (the resource's owner, and another organizer), support and admin, must answer the
status written in MATRIX.

The route list is generated from the services' FastAPI apps (their factories), so a new route without an
entry here fails the test, and so does an entry whose route is gone. Every call is authorised-then-harmless
where it can be (a PATCH that changes nothing, a setting of the test's own); calls that change state get a
fresh target each (a new event to cancel, a new account to disable), so each status is about who calls.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from e2e_support import PASSWORD, Person, Platform, bearer, eventually
from reviews_support import held_event, submit

pytestmark = pytest.mark.e2e

ROLES = ("anonymous", "participant", "organizer_owner", "organizer_other", "support", "admin")
SERVICES = ("users", "events", "bookings", "payments", "notifications")
Call = tuple[str, str, dict[str, Any]]  # method, path, httpx keyword arguments
CONVERTOR = re.compile(r"\{(\w+):\w+\}")  # a Starlette path parameter with its convertor


def everyone(status: int) -> tuple[int, ...]:
    return (status,) * len(ROLES)


def signed_in(status: int) -> tuple[int, ...]:
    return (401,) + (status,) * (len(ROLES) - 1)


@dataclass
class World:
    """The people and the things they own, made once; `fresh_*` make a new target for a state change."""

    platform: Platform
    people: dict[str, Person | None]
    event: dict
    booking: dict
    payment: dict
    # A known setting nothing reads, put to its own default: probing it changes no behaviour.
    setting_key: str = "default_currency"
    _held: dict | None = None

    def held(self) -> dict:
        """A started event of organizer_owner with six attendees the events service knows (made on first use):
        one who has not reviewed yet, four with pending reviews for the moderators, one pending review shared
        by the refused calls."""
        if self._held is None:
            attendees = [self.platform.register(f"Matrix Attendee {i}") for i in range(6)]
            event = held_event(self.platform, self.people["organizer_owner"], attendees, title="Matrix held")
            pending = [submit(self.platform, a, event["id"], 3, "Matrix review")["id"] for a in attendees[1:]]
            self._held = {"event": event, "author": attendees[0], "pending": pending[1:], "shared": pending[0]}
        return self._held

    def fresh_review(self) -> str:
        """A pending review nobody decided yet."""
        return self.held()["pending"].pop()

    def auth(self, role: str) -> dict[str, str]:
        person = self.people[role]
        return person.auth if person else {}

    def fresh_event(self) -> dict:
        return self.platform.create_event(self.people["organizer_owner"], seats=5, title="Matrix event")

    def confirmed_booking(self) -> dict:
        """The participant's booking once confirmed and known to notifications (its calendar file exists)."""
        path = f"/api/v1/bookings/{self.booking['id']}/calendar.ics"
        eventually(lambda: self.platform.http.get(path, headers=self.auth("participant")).status_code == 200 or None,
                   timeout=30, what="the booking's calendar file")
        return self.booking

    def fresh_booking(self) -> dict:
        return self.platform.booked(self.people["participant"], self.event["id"])

    def fresh_payment(self, method: str = "cash") -> dict:
        r = self.platform.http.post("/api/v1/payments/", headers=self.auth("participant"),
                                    json={"amount": "5.00", "currency": "EUR", "payment_method": method})
        assert r.status_code == 201, r.text
        return r.json()

    def fresh_paid(self) -> dict:
        payment = self.fresh_payment()
        r = self.platform.http.post(f"/api/v1/payments/{payment['id']}/confirm", headers=self.auth("admin"))
        assert r.status_code == 200, r.text
        return r.json()

    def fresh_user(self) -> str:
        return self.platform.register("Matrix Target").id

    def fresh_disabled_user(self) -> str:
        user_id = self.fresh_user()
        r = self.platform.http.post(f"/api/v1/users/{user_id}/disable", headers=self.auth("admin"))
        assert r.status_code == 200, r.text
        return user_id

    def fresh_auth(self, role: str) -> dict[str, str]:
        """A new account of `role` (anonymous: no header), for a call that ends the caller's own sessions."""
        if role == "anonymous":
            return {}
        person = self.platform.register(f"Matrix fresh {role}")
        granted = {"participant": None, "support": "support", "admin": "admin"}.get(role, "organizer")
        if granted is None:
            return person.auth
        r = self.platform.http.put(f"/api/v1/users/{person.id}/role", json={"role": granted},
                                   headers=self.auth("admin"))
        assert r.status_code == 200, r.text
        return bearer(self.platform.login(person.email))

    def fresh_reset_token(self) -> str:
        """A one-time reset token for a new account (shown to the admin in development only)."""
        r = self.platform.http.post(f"/api/v1/users/{self.fresh_user()}/password-reset", headers=self.auth("admin"))
        assert r.status_code == 201, r.text
        return r.json()["reset_token"]

    def fresh_refresh_token(self) -> str:
        r = self.platform.http.post("/api/v1/users/login", json={"email": self.people["participant"].email,
                                                                  "password": PASSWORD})
        assert r.status_code == 200, r.text
        return r.json()["refresh_token"]


def refused_or(ok: Callable[[World], Call], refused: Callable[[World], Call], allowed: tuple[str, ...]
               ) -> Callable[[World, str], Call]:
    """A call that changes state: a fresh target for the roles allowed to change it, a shared one otherwise."""
    return lambda w, role: ok(w) if role in allowed else refused(w)


def same(call: Callable[[World], Call]) -> Callable[[World, str], Call]:
    return lambda w, role: call(w)


# --- notifications: mailings and support (shared targets are made once per world) ----------------------
_SHARED: dict[tuple[int, str], str] = {}
_LATER = "2099-01-01T00:00:00Z"  # scheduled far ahead: the matrix's mailings never send


def _shared(w: World, what: str, make: Callable[[World], str]) -> str:
    key = (id(w), what)
    if key not in _SHARED:
        _SHARED[key] = make(w)
    return _SHARED[key]


def _mailing_body(w: World) -> dict[str, Any]:
    return {"title": "Matrix", "content": "Hello", "filters": {"event_id": w.event["id"]}, "scheduled_at": _LATER}


def _mailing(w: World) -> str:
    """A new scheduled mailing of the event's organizer."""
    r = w.platform.http.post("/api/v1/mailings/", json=_mailing_body(w), headers=w.auth("organizer_owner"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _thread(w: World, auth: dict[str, str] | None = None) -> str:
    """The open support thread of `auth`'s user (the participant's by default), started if need be."""
    r = w.platform.http.post("/api/v1/support/messages", json={"content": "Matrix question"},
                             headers=auth or w.auth("participant"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _closed_thread(w: World, auth: dict[str, str]) -> str:
    thread_id = _thread(w, auth)
    r = w.platform.http.post(f"/api/v1/support/threads/{thread_id}/close", headers=auth)
    assert r.status_code == 200, r.text
    return thread_id


def _thread_change(action: str, *, closed: bool) -> Callable[[World, str], Call]:
    """Close/reopen: the owner (a fresh participant) or an agent on a fresh thread; the others on the shared one."""

    def call(w: World, role: str) -> Call:
        if role in ("participant", "support", "admin"):
            owner = w.fresh_auth("participant")
            thread_id = _closed_thread(w, owner) if closed else _thread(w, owner)
            return "POST", f"/api/v1/support/threads/{thread_id}/{action}", (
                {"headers": owner} if role == "participant" else {})
        return "POST", f"/api/v1/support/threads/{_shared(w, 'thread', _thread)}/{action}", {}

    return call


# Operators only (permission ops:read): metrics, detailed health.
OPS_ONLY = (401, 403, 403, 403, 403, 200)

# route ("METHOD /path") → (how to call it as a role, expected status per role in ROLES order)
MATRIX: dict[str, tuple[Callable[[World, str], Call], tuple[int, ...]]] = {
    # --- every api (webkit): metrics and the gateway's authorization check for them -------------------
    # /metrics is open on each api's internal port; the gateway exposes it as /metrics/<service>-api only to
    # ops:read, asking /ops/authorize first (which the gateway itself does not route: a worker's metrics
    # go through the same check).
    "GET /metrics": (same(lambda w: ("GET", "/metrics/users-api", {})), OPS_ONLY),
    "GET /ops/authorize": (same(lambda w: ("GET", "/metrics/bookings-worker", {})), OPS_ONLY),
    "GET /health/users/detail": (same(lambda w: ("GET", "/health/users/detail", {})), OPS_ONLY),
    "GET /health/events/detail": (same(lambda w: ("GET", "/health/events/detail", {})), OPS_ONLY),
    "GET /health/bookings/detail": (same(lambda w: ("GET", "/health/bookings/detail", {})), OPS_ONLY),
    "GET /health/notifications/detail": (same(lambda w: ("GET", "/health/notifications/detail", {})), OPS_ONLY),
    "GET /health/payments/detail": (same(lambda w: ("GET", "/health/payments/detail", {})), OPS_ONLY),
    # --- users ---------------------------------------------------------------------------------------
    "GET /health/users": (same(lambda w: ("GET", "/health/users", {})), everyone(200)),
    "GET /docs/users/openapi.json": (same(lambda w: ("GET", "/docs/users/openapi.json", {})), everyone(200)),
    "GET /docs/users/": (same(lambda w: ("GET", "/docs/users/", {})), everyone(200)),
    "GET /docs/users/assets/{name}": (same(lambda w: ("GET", "/docs/users/assets/swagger-ui.css", {})),
                                              everyone(200)),
    "GET /docs/users/oauth2-redirect": (same(lambda w: ("GET", "/docs/users/oauth2-redirect", {})), everyone(200)),
    "GET /.well-known/jwks.json": (same(lambda w: ("GET", "/.well-known/jwks.json", {})), everyone(200)),
    "POST /api/v1/users/": (same(lambda w: ("POST", "/api/v1/users/", {"json": {
        "email": f"matrix-{uuid4().hex[:10]}@example.com", "full_name": "Matrix", "password": PASSWORD}})),
        everyone(201)),
    "POST /api/v1/users/login": (same(lambda w: ("POST", "/api/v1/users/login", {"json": {
        "email": w.people["participant"].email, "password": PASSWORD}})), everyone(200)),
    "POST /api/v1/users/token": (same(lambda w: ("POST", "/api/v1/users/token", {"data": {
        "username": w.people["participant"].email, "password": PASSWORD}})), everyone(200)),
    "POST /api/v1/users/refresh": (same(lambda w: ("POST", "/api/v1/users/refresh", {"json": {
        "refresh_token": w.fresh_refresh_token()}})), everyone(200)),
    "POST /api/v1/users/logout": (same(lambda w: ("POST", "/api/v1/users/logout", {"json": {
        "refresh_token": w.fresh_refresh_token()}})), everyone(204)),
    "GET /api/v1/users/me": (same(lambda w: ("GET", "/api/v1/users/me", {})), signed_in(200)),
    "PATCH /api/v1/users/me": (same(lambda w: ("PATCH", "/api/v1/users/me", {"json": {"locale": "en"}})),
                               signed_in(200)),
    "GET /api/v1/users/": (same(lambda w: ("GET", "/api/v1/users/", {})), (401, 403, 403, 403, 200, 200)),
    "GET /api/v1/users/{user_id}": (same(lambda w: ("GET", f"/api/v1/users/{w.people['participant'].id}", {})),
                                    (401, 200, 403, 403, 200, 200)),
    "PUT /api/v1/users/{user_id}/role": (refused_or(
        lambda w: ("PUT", f"/api/v1/users/{w.fresh_user()}/role", {"json": {"role": "support"}}),
        lambda w: ("PUT", f"/api/v1/users/{w.people['participant'].id}/role", {"json": {"role": "admin"}}),
        ("admin",)), (401, 403, 403, 403, 403, 200)),
    "POST /api/v1/users/{user_id}/disable": (refused_or(
        lambda w: ("POST", f"/api/v1/users/{w.fresh_user()}/disable", {}),
        lambda w: ("POST", f"/api/v1/users/{w.people['organizer_other'].id}/disable", {}),
        ("admin",)), (401, 403, 403, 403, 403, 200)),
    "POST /api/v1/users/{user_id}/enable": (refused_or(
        lambda w: ("POST", f"/api/v1/users/{w.fresh_disabled_user()}/enable", {}),
        lambda w: ("POST", f"/api/v1/users/{w.people['organizer_other'].id}/enable", {}),
        ("admin",)), (401, 403, 403, 403, 403, 200)),
    # An admin voids a user's password and sessions; nobody else may (the shared target is never voided).
    "POST /api/v1/users/{user_id}/password-reset": (refused_or(
        lambda w: ("POST", f"/api/v1/users/{w.fresh_user()}/password-reset", {}),
        lambda w: ("POST", f"/api/v1/users/{w.people['organizer_other'].id}/password-reset", {}),
        ("admin",)), (401, 403, 403, 403, 403, 201)),
    # The one-time token is the proof: whoever holds it (typically signed out) sets the new password.
    "POST /api/v1/users/password-reset": (same(lambda w: ("POST", "/api/v1/users/password-reset", {"json": {
        "token": w.fresh_reset_token(), "new_password": f"new {PASSWORD}"}})), everyone(204)),
    # Every signed-in account changes its own password (a fresh account per role: the change ends its sessions).
    "POST /api/v1/users/me/password": (lambda w, role: ("POST", "/api/v1/users/me/password", {
        "headers": w.fresh_auth(role), "json": {"current_password": PASSWORD, "new_password": f"new {PASSWORD}"}}),
        signed_in(200)),
    "GET /api/v1/roles": (same(lambda w: ("GET", "/api/v1/roles", {})), signed_in(200)),
    "POST /api/v1/roles": (same(lambda w: ("POST", "/api/v1/roles", {"json": {
        "name": f"matrix-{uuid4().hex[:8]}", "permissions": []}})), (401, 403, 403, 403, 403, 201)),
    "PUT /api/v1/settings/{key}": (same(lambda w: ("PUT", f"/api/v1/settings/{w.setting_key}", {"json": {
        "value": "EUR", "type": "string"}})), (401, 403, 403, 403, 403, 200)),
    "GET /api/v1/settings/{key}": (same(lambda w: ("GET", f"/api/v1/settings/{w.setting_key}", {})),
                                   (401, 403, 403, 403, 403, 200)),
    "DELETE /api/v1/settings/{key}": (same(lambda w: ("DELETE", f"/api/v1/settings/{w.setting_key}", {})),
                                      (401, 403, 403, 403, 403, 200)),
    "GET /api/v1/settings": (same(lambda w: ("GET", "/api/v1/settings", {})), (401, 403, 403, 403, 403, 200)),
    # The audit log: admins only (support is not seeded with audit:read; users_service/api/audit.py says why).
    "GET /api/v1/audit": (same(lambda w: ("GET", "/api/v1/audit", {})), (401, 403, 403, 403, 403, 200)),
    # --- events --------------------------------------------------------------------------------------
    "GET /health/events": (same(lambda w: ("GET", "/health/events", {})), everyone(200)),
    "GET /docs/events/openapi.json": (same(lambda w: ("GET", "/docs/events/openapi.json", {})), everyone(200)),
    "GET /docs/events/": (same(lambda w: ("GET", "/docs/events/", {})), everyone(200)),
    "GET /docs/events/assets/{name}": (same(lambda w: ("GET", "/docs/events/assets/swagger-ui.css", {})),
                                              everyone(200)),
    "GET /docs/events/oauth2-redirect": (same(lambda w: ("GET", "/docs/events/oauth2-redirect", {})),
                                         everyone(200)),
    "POST /api/v1/events/": (same(lambda w: ("POST", "/api/v1/events/", {"json": {
        "title": "Matrix created", "description": "x", "start_time": w.event["start_time"], "duration_minutes": 60,
        "max_participants": 3, "is_paid": False, "tags": ["matrix"]}})), (401, 403, 201, 201, 403, 201)),
    "GET /api/v1/events/": (same(lambda w: ("GET", "/api/v1/events/", {})), everyone(200)),
    "GET /api/v1/events/{event_id}": (same(lambda w: ("GET", f"/api/v1/events/{w.event['id']}", {})),
                                      everyone(200)),
    "PATCH /api/v1/events/{event_id}": (same(lambda w: ("PATCH", f"/api/v1/events/{w.event['id']}", {"json": {
        "description": w.event["description"]}})), (401, 403, 200, 403, 403, 200)),
    "POST /api/v1/events/{event_id}/cancel": (refused_or(
        lambda w: ("POST", f"/api/v1/events/{w.fresh_event()['id']}/cancel", {}),
        lambda w: ("POST", f"/api/v1/events/{w.event['id']}/cancel", {}),
        ("organizer_owner", "admin")), (401, 403, 200, 403, 403, 200)),
    # An attendee of a started event reviews it (once); nobody else may, whatever their role.
    "POST /api/v1/events/{event_id}/reviews": (lambda w, role: (
        "POST", f"/api/v1/events/{w.held()['event']['id']}/reviews", {
            "json": {"rating": 5, "comment": f"Matrix review by {role}"},
            **({"headers": w.held()["author"].auth} if role == "participant" else {})}),
        (401, 201, 403, 403, 403, 403)),
    "GET /api/v1/events/{event_id}/reviews": (same(lambda w: ("GET", f"/api/v1/events/{w.event['id']}/reviews", {})),
                                              everyone(200)),
    "POST /api/v1/reviews/{review_id}/approve": (refused_or(
        lambda w: ("POST", f"/api/v1/reviews/{w.fresh_review()}/approve", {}),
        lambda w: ("POST", f"/api/v1/reviews/{w.held()['shared']}/approve", {}),
        ("support", "admin")), (401, 403, 403, 403, 200, 200)),
    "POST /api/v1/reviews/{review_id}/reject": (refused_or(
        lambda w: ("POST", f"/api/v1/reviews/{w.fresh_review()}/reject", {"json": {"reason": "Matrix"}}),
        lambda w: ("POST", f"/api/v1/reviews/{w.held()['shared']}/reject", {"json": {"reason": "Matrix"}}),
        ("support", "admin")), (401, 403, 403, 403, 200, 200)),
    # --- bookings ------------------------------------------------------------------------------------
    "GET /health/bookings": (same(lambda w: ("GET", "/health/bookings", {})), everyone(200)),
    "GET /docs/bookings/openapi.json": (same(lambda w: ("GET", "/docs/bookings/openapi.json", {})),
                                        everyone(200)),
    "GET /docs/bookings/": (same(lambda w: ("GET", "/docs/bookings/", {})), everyone(200)),
    "GET /docs/bookings/assets/{name}": (same(lambda w: ("GET", "/docs/bookings/assets/swagger-ui.css", {})),
                                              everyone(200)),
    "GET /docs/bookings/oauth2-redirect": (same(lambda w: ("GET", "/docs/bookings/oauth2-redirect", {})),
                                           everyone(200)),
    "POST /api/v1/bookings/": (same(lambda w: ("POST", "/api/v1/bookings/", {"json": {
        "event_id": w.event["id"], "group_size": 1}})), signed_in(202)),
    "GET /api/v1/bookings/": (same(lambda w: ("GET", "/api/v1/bookings/", {})), signed_in(200)),
    "GET /api/v1/bookings/{booking_id}": (same(lambda w: ("GET", f"/api/v1/bookings/{w.booking['id']}", {})),
                                          (401, 200, 200, 403, 200, 200)),
    "GET /api/v1/events/{event_id}/attendees": (same(lambda w: (
        "GET", f"/api/v1/events/{w.event['id']}/attendees", {})), (401, 403, 200, 403, 200, 200)),
    "GET /api/v1/events/{event_id}/summary": (same(lambda w: (
        "GET", f"/api/v1/events/{w.event['id']}/summary", {})), (401, 403, 200, 403, 403, 200)),
    "POST /api/v1/bookings/{booking_id}/cancel": (refused_or(
        lambda w: ("POST", f"/api/v1/bookings/{w.fresh_booking()['id']}/cancel", {}),
        lambda w: ("POST", f"/api/v1/bookings/{w.booking['id']}/cancel", {}),
        ("participant", "admin")), (401, 200, 403, 403, 403, 200)),
    # --- payments ------------------------------------------------------------------------------------
    "GET /health/payments": (same(lambda w: ("GET", "/health/payments", {})), everyone(200)),
    "GET /docs/payments/openapi.json": (same(lambda w: ("GET", "/docs/payments/openapi.json", {})),
                                        everyone(200)),
    "GET /docs/payments/": (same(lambda w: ("GET", "/docs/payments/", {})), everyone(200)),
    "GET /docs/payments/assets/{name}": (same(lambda w: ("GET", "/docs/payments/assets/swagger-ui.css", {})),
                                              everyone(200)),
    "GET /docs/payments/oauth2-redirect": (same(lambda w: ("GET", "/docs/payments/oauth2-redirect", {})),
                                           everyone(200)),
    "POST /api/v1/payments/": (same(lambda w: ("POST", "/api/v1/payments/", {"json": {
        "amount": "1.00", "currency": "EUR", "payment_method": "cash"}})), signed_in(201)),
    "GET /api/v1/payments/": (same(lambda w: ("GET", "/api/v1/payments/", {})), signed_in(200)),
    "GET /api/v1/payments/balance": (same(lambda w: ("GET", "/api/v1/payments/balance", {})), signed_in(200)),
    "GET /api/v1/payments/{payment_id}": (same(lambda w: ("GET", f"/api/v1/payments/{w.payment['id']}", {})),
                                          (401, 200, 403, 403, 200, 200)),
    "POST /api/v1/payments/{payment_id}/confirm": (refused_or(
        lambda w: ("POST", f"/api/v1/payments/{w.fresh_payment()['id']}/confirm", {}),
        lambda w: ("POST", f"/api/v1/payments/{w.payment['id']}/confirm", {}),
        ("support", "admin")), (401, 403, 403, 403, 200, 200)),
    "POST /api/v1/payments/{payment_id}/refund": (refused_or(
        lambda w: ("POST", f"/api/v1/payments/{w.fresh_paid()['id']}/refund", {}),
        lambda w: ("POST", f"/api/v1/payments/{w.payment['id']}/refund", {}),
        ("admin",)), (401, 403, 403, 403, 403, 200)),
    # Providers call it: no token counts, only the signature (none here), whoever sends it.
    "POST /api/v1/payments/webhooks/{provider}": (same(lambda w: ("POST", "/api/v1/payments/webhooks/sandbox", {
        "json": {"payment_id": w.payment["id"], "outcome": "succeeded"}})), everyone(401)),
    # Only the payer finishes their own sandbox payment.
    "POST /api/v1/payments/{payment_id}/sandbox": (refused_or(
        lambda w: ("POST", f"/api/v1/payments/{w.fresh_payment('sandbox')['id']}/sandbox",
                   {"json": {"outcome": "succeeded"}}),
        lambda w: ("POST", f"/api/v1/payments/{w.payment['id']}/sandbox", {"json": {"outcome": "succeeded"}}),
        ("participant",)), (401, 200, 403, 403, 403, 403)),
    # --- notifications -------------------------------------------------------------------------------
    "GET /health/notifications": (same(lambda w: ("GET", "/health/notifications", {})), everyone(200)),
    "GET /docs/notifications/openapi.json": (same(lambda w: ("GET", "/docs/notifications/openapi.json", {})),
                                             everyone(200)),
    "GET /docs/notifications/": (same(lambda w: ("GET", "/docs/notifications/", {})), everyone(200)),
    "GET /docs/notifications/assets/{name}": (same(lambda w: ("GET", "/docs/notifications/assets/swagger-ui.css", {})),
                                              everyone(200)),
    "GET /docs/notifications/oauth2-redirect": (same(lambda w: ("GET", "/docs/notifications/oauth2-redirect",
                                                                 {})), everyone(200)),
    "GET /api/v1/notifications/": (same(lambda w: ("GET", "/api/v1/notifications/", {})), signed_in(200)),
    "GET /api/v1/notifications/preferences": (same(lambda w: ("GET", "/api/v1/notifications/preferences", {})),
                                              signed_in(200)),
    "PUT /api/v1/notifications/preferences": (same(lambda w: ("PUT", "/api/v1/notifications/preferences", {
        "json": {"mailings": True}})), signed_in(200)),
    # Only the booking's owner gets its calendar file; for everyone else it does not exist (404).
    "GET /api/v1/bookings/{booking_id}/calendar.ics": (same(lambda w: (
        "GET", f"/api/v1/bookings/{w.confirmed_booking()['id']}/calendar.ics", {})),
        (401, 200, 404, 404, 404, 404)),
    # Nobody has a notification with a random id (another user's is answered the same: 404).
    "POST /api/v1/notifications/{notification_id}/read": (same(lambda w: (
        "POST", f"/api/v1/notifications/{uuid4()}/read", {})), signed_in(404)),
    # --- mailings (organizers: only their own events' bookers; they see their own mailings) ------------
    "POST /api/v1/mailings/": (same(lambda w: ("POST", "/api/v1/mailings/", {"json": _mailing_body(w)})),
                               (401, 403, 201, 403, 403, 201)),
    "POST /api/v1/mailings/preview": (same(lambda w: ("POST", "/api/v1/mailings/preview", {"json": _mailing_body(w)})),
                                      (401, 403, 200, 403, 403, 200)),
    "GET /api/v1/mailings/": (same(lambda w: ("GET", "/api/v1/mailings/", {})), (401, 403, 200, 200, 403, 200)),
    "GET /api/v1/mailings/{mailing_id}": (same(lambda w: (
        "GET", f"/api/v1/mailings/{_shared(w, 'mailing', _mailing)}", {})), (401, 403, 200, 404, 403, 200)),
    "POST /api/v1/mailings/{mailing_id}/cancel": (refused_or(
        lambda w: ("POST", f"/api/v1/mailings/{_mailing(w)}/cancel", {}),
        lambda w: ("POST", f"/api/v1/mailings/{_shared(w, 'mailing', _mailing)}/cancel", {}),
        ("organizer_owner", "admin")), (401, 403, 200, 404, 403, 200)),
    # One-click unsubscribe needs no sign-in, only a token this service signed (a forged one: 400).
    "POST /api/v1/notifications/unsubscribe": (same(lambda w: (
        "POST", "/api/v1/notifications/unsubscribe", {"params": {"token": "forged.token"}})), everyone(400)),
    # --- support (a user sees only their own threads; agents see and manage all) ------------------------
    "POST /api/v1/support/messages": (same(lambda w: ("POST", "/api/v1/support/messages", {
        "json": {"content": "Matrix question"}})), signed_in(201)),
    "GET /api/v1/support/threads": (same(lambda w: ("GET", "/api/v1/support/threads", {})), signed_in(200)),
    "GET /api/v1/support/threads/{thread_id}": (same(lambda w: (
        "GET", f"/api/v1/support/threads/{_shared(w, 'thread', _thread)}", {})), (401, 200, 404, 404, 200, 200)),
    "POST /api/v1/support/threads/{thread_id}/reply": (same(lambda w: (
        "POST", f"/api/v1/support/threads/{_shared(w, 'thread', _thread)}/reply",
        {"json": {"content": "Matrix answer"}})), (401, 403, 403, 403, 200, 200)),
    "POST /api/v1/support/threads/{thread_id}/assign": (same(lambda w: (
        "POST", f"/api/v1/support/threads/{_shared(w, 'thread', _thread)}/assign",
        {"json": {"assignee_id": w.people["support"].id}})), (401, 403, 403, 403, 200, 200)),
    "POST /api/v1/support/threads/{thread_id}/close": (_thread_change("close", closed=False),
                                                       (401, 200, 404, 404, 200, 200)),
    "POST /api/v1/support/threads/{thread_id}/reopen": (_thread_change("reopen", closed=True),
                                                        (401, 200, 404, 404, 200, 200)),
}


def service_apps(env: dict[str, str]) -> Iterator[tuple[str, FastAPI]]:
    """Each service's app as its factory builds it (with the running system's settings)."""
    from bookings_service.main import create_app as bookings_app
    from events_service.main import create_app as events_app
    from notifications_service.main import create_app as notifications_app
    from payments_service.main import create_app as payments_app
    from users_service.main import create_app as users_app

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        for name, factory in zip(SERVICES, (users_app, events_app, bookings_app, payments_app,
                                                       notifications_app), strict=True):
            app = factory()
            yield name, app
            container = getattr(app.state, "container", None)
            if container is not None:
                container.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def app_routes(env: dict[str, str]) -> set[str]:
    """"METHOD /path" of every route the apps serve (HEAD is Starlette's automatic twin of GET)."""
    routes = set()
    for _, app in service_apps(env):
        for route in iter_route_contexts(app.routes):  # flattens included routers (FastAPI ≥ 0.16x)
            path = CONVERTOR.sub(r"{\1}", route.path)  # "{user_id:uuid}" → "{user_id}", as OpenAPI names it
            routes |= {f"{m} {path}" for m in (route.methods or ()) if m != "HEAD"}
    return routes


@pytest.fixture(scope="module")
def world(platform: Platform) -> World:
    people: dict[str, Person | None] = {"anonymous": None, "participant": platform.register("Matrix Participant"),
                                        "organizer_owner": platform.organizer("Matrix Owner"),
                                        "organizer_other": platform.organizer("Matrix Other")}
    support = platform.register("Matrix Support")
    r = platform.http.put(f"/api/v1/users/{support.id}/role", json={"role": "support"},
                          headers=bearer(platform.admin_token()))
    assert r.status_code == 200, r.text
    people["support"] = Person(support.id, support.email, platform.login(support.email))
    people["admin"] = Person("", "", platform.admin_token())
    event = platform.create_event(people["organizer_owner"], seats=500, title="Matrix")
    platform.wait_bookable(event["id"], people["participant"])
    booking = platform.booked(people["participant"], event["id"])
    w = World(platform, people, event, booking, payment={})
    w.payment = w.fresh_payment()
    r = platform.http.put(f"/api/v1/settings/{w.setting_key}", json={"value": "EUR", "type": "string"},
                          headers=w.auth("admin"))
    assert r.status_code == 200, r.text
    return w


def test_every_route_has_a_row(system_env: dict[str, str]):
    routes = app_routes(system_env)
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without an entry in MATRIX (add the expected status per role): {missing}"
    assert not stale, f"MATRIX entries for routes no app serves any more: {stale}"


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_route_answers_each_role_as_expected(route: str, world: World):
    call, expected = MATRIX[route]
    got = {}
    for role, want in zip(ROLES, expected, strict=True):
        method, path, kwargs = call(world, role)
        r = world.platform.http.request(method, path, headers={**world.auth(role), **kwargs.pop("headers", {})},
                                        **kwargs)
        got[role] = (r.status_code, want, r.text[:200] if r.status_code != want else "")
    wrong = {role: g for role, g in got.items() if g[0] != g[1]}
    assert not wrong, f"{route}: role → (got, expected, body): {wrong}"
