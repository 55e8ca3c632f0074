"""What the audit log keeps of a public event: who, what, on which entity, and a compact, secret-free payload.

Redaction rule (applied to every payload, at any depth, whatever the message type — also types this
code does not know yet): a field is dropped when its name, split at `_`/`-` and lower-cased, contains a
secret word (password, secret, token, hash, salt, cvc, cvv, pan, iban, card, otp, signature, …) or is one
of the secret names (api_key, private_key, confirmation_url, …). Dropped fields are listed by name under
`_redacted`, so a reader sees that something was withheld, never what. Contracts publish no secrets
today; the rule is the second wall for a producer that one day does.

Compaction: strings are cut to 256 characters, lists to 20 items, nesting to 4 levels; a payload still
larger than 4 KiB of JSON keeps only its scalar top-level fields (`_truncated: true`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from contracts import Envelope, registered

SECRET_WORDS = frozenset({
    "password", "passwd", "passphrase", "pwd", "secret", "secrets", "token", "tokens", "hash", "hashed", "salt",
    "cvc", "cvv", "pan", "iban", "card", "otp", "signature", "credential", "credentials",
})
SECRET_NAMES = frozenset({"api_key", "apikey", "private_key", "secret_key", "client_secret", "confirmation_url",
                          "authorization", "cookie"})
# Contract fields whose names contain a secret word but hold none (PaymentMethodsAvailable.card_provider).
PUBLIC_NAMES = frozenset({"card_provider"})

MAX_STRING, MAX_ITEMS, MAX_DEPTH, MAX_BYTES = 256, 20, 4, 4096

ENTITY_TYPES = ("user", "role", "setting", "event", "booking", "payment", "notification")

# Messages about something other than their topic's main entity, and the payload field naming it.
_ENTITY_BY_TYPE = {"RoleDefined": ("role", "name"), "SettingChanged": ("setting", "key"),
                   "SettingReset": ("setting", "key")}
_ENTITY_BY_TOPIC = {"users": "user", "events": "event", "bookings": "booking", "payments": "payment",
                    "notifications": "notification"}


def is_secret(name: str) -> bool:
    """Whether a field with this name may hold a secret (and so never reaches the audit log)."""
    lowered = name.lower()
    if lowered in PUBLIC_NAMES:
        return False
    words = set(re.split(r"[_\-\s.]+", lowered))
    return lowered in SECRET_NAMES or bool(words & SECRET_WORDS) or "password" in lowered


def redact(value: Any, *, depth: int = 0) -> Any:
    """A copy without secret-named fields, with long strings and lists cut (see the module's rule)."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return "…"
        kept: dict[str, Any] = {}
        dropped = sorted(k for k in value if is_secret(str(k)))
        for key, item in value.items():
            if not is_secret(str(key)):
                kept[str(key)] = redact(item, depth=depth + 1)
        if dropped:
            kept["_redacted"] = dropped
        return kept
    if isinstance(value, list):
        return [redact(item, depth=depth + 1) for item in value[:MAX_ITEMS]]
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING] + "…"
    return value


def compact_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the audit log stores it: redacted, cut, and at most about MAX_BYTES of JSON."""
    kept = redact(payload)
    if len(json.dumps(kept, default=str)) <= MAX_BYTES:
        return kept
    scalars = {k: v for k, v in kept.items() if not isinstance(v, (dict, list))}
    if len(json.dumps(scalars, default=str)) > MAX_BYTES:
        scalars = {k: v for k, v in scalars.items() if not isinstance(v, str)}
    return {**scalars, "_truncated": True}


def entity_of(envelope: Envelope, topic: str) -> tuple[str, str]:
    """(entity type, entity id) an event is about: its aggregate, except roles and settings (by name/key)."""
    by_type = _ENTITY_BY_TYPE.get(envelope.type)
    if by_type is not None:
        field = envelope.payload.get(by_type[1])
        return by_type[0], str(field) if isinstance(field, str) and field else envelope.aggregate_id
    known = registered().get((envelope.type, envelope.version))
    source = known[0] if known is not None else topic
    service = source.split(".", 1)[0]
    return _ENTITY_BY_TOPIC.get(service, service.rstrip("s") or "unknown"), envelope.aggregate_id
