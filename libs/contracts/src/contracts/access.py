"""Who may do what on Kafka (DESIGN §3 topics; hardening issue: Kafka is a trust boundary).

One principal per service. A service may write its own event topic and the command topics it sends
(addressed to another service, but owned by the sender), read what it consumes, and write `<topic>.dlq`
for every topic it consumes (the spine parks poison messages there). Its consumer groups are
`<service>.<subscription>` (spine.worker), so it owns the group prefix `<service>.`.

`ops` (the reading commands of the operator's CLI `planner-ops`: lag, tail, dlq list) reads every topic and
describes every group (committed offsets, members), and writes nothing. `admin` is the broker's super user:
deploy scripts create topics and ACLs with it, and `planner-ops republish` / `dlq retry` write with it, since
they put messages back on a service's topic (and a marker on its DLQ), which no other principal may.

deploy/kafka_acls.py turns this declaration into broker ACLs (and removes ACLs it no longer declares);
a test checks it against what each service's worker really publishes and subscribes to.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import topics as t

ADMIN = "admin"
OPS = "ops"


@dataclass(frozen=True)
class Access:
    """What one principal may do: topics it produces to, topics it consumes, consumer groups it owns."""

    principal: str
    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    # Consumer groups it may join (prefix); None: it uses no consumer group (reads partitions directly).
    group_prefix: str | None = None
    # Describe every consumer group (lag) without joining any.
    describes_groups: bool = False
    # Parks poison messages of what it consumes in `<topic>.dlq` (a consuming service does; ops never writes).
    dead_letters: bool = True

    def writes(self) -> tuple[str, ...]:
        """Topics it may write: what it produces, and the DLQ of everything it consumes."""
        dlqs = tuple(t.dlq(topic) for topic in self.consumes if self.dead_letters and not topic.endswith(".dlq"))
        return tuple(dict.fromkeys((*self.produces, *dlqs)))

    def reads(self) -> tuple[str, ...]:
        """Topics it may read."""
        return tuple(dict.fromkeys(self.consumes))


def _service(name: str, produces: tuple[str, ...], consumes: tuple[str, ...]) -> Access:
    return Access(name, produces=produces, consumes=consumes, group_prefix=f"{name}.")


SERVICES: dict[str, Access] = {a.principal: a for a in (
    # users: relay → users.v1; its users view reads it back, and its audit log reads every event topic.
    _service("users", produces=(t.USERS,), consumes=t.EVENT_TOPICS),
    # events: relay → events.v1; seat commands from the booking saga; catalogue, reviews and disabled users;
    # who attended what (bookings.v1), since only a confirmed attendee may review an event; which payment
    # methods are switched on (payments.v1), since an event may only advertise those.
    _service("events", produces=(t.EVENTS,),
             consumes=(t.EVENTS, t.EVENTS_COMMANDS, t.USERS, t.BOOKINGS, t.PAYMENTS)),
    # bookings: the saga's orchestrator sends the seat and payment commands it owns.
    _service("bookings", produces=(t.BOOKINGS, t.EVENTS_COMMANDS, t.PAYMENTS_COMMANDS),
             consumes=(t.BOOKINGS, t.EVENTS, t.PAYMENTS, t.USERS)),
    # payments: relay → payments.v1; payment commands from the saga; payments view and disabled users.
    _service("payments", produces=(t.PAYMENTS,), consumes=(t.PAYMENTS, t.PAYMENTS_COMMANDS, t.USERS)),
    # notifications (DESIGN §4): tells people what happened to their bookings, payments and events.
    _service("notifications", produces=(t.NOTIFICATIONS,),
             consumes=(t.NOTIFICATIONS, t.USERS, t.EVENTS, t.BOOKINGS, t.PAYMENTS)),
)}

OPERATOR = Access(OPS, consumes=tuple(t.all_topics()), describes_groups=True, dead_letters=False)


def principals() -> dict[str, Access]:
    """Every principal except the super user, by name."""
    return {**SERVICES, OPS: OPERATOR}


def usernames() -> tuple[str, ...]:
    """Every SCRAM user the broker needs: the super user first, then each principal."""
    return (ADMIN, *principals())
