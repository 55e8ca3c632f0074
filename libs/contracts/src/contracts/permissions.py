"""Permission names carried in access tokens and checked by every service, and the seeded roles."""

USERS_READ_ALL = "users:read_all"
USERS_MANAGE = "users:manage"  # change role, disable/enable, force a password reset
ROLES_MANAGE = "roles:manage"
SETTINGS_MANAGE = "settings:manage"
AUDIT_READ = "audit:read"
EVENTS_CREATE = "events:create"
EVENTS_MANAGE_ANY = "events:manage_any"  # edit/cancel events of others
REVIEWS_MODERATE = "reviews:moderate"
BOOKINGS_READ_ALL = "bookings:read_all"
BOOKINGS_MANAGE_ANY = "bookings:manage_any"  # cancel bookings of others
PAYMENTS_READ_ALL = "payments:read_all"
PAYMENTS_CONFIRM = "payments:confirm"  # confirm offline/cash payments
PAYMENTS_REFUND = "payments:refund"
MAILINGS_MANAGE = "mailings:manage"
SUPPORT_REPLY = "support:reply"
OPS_READ = "ops:read"  # metrics and detailed health of every process (internals: admins only by default)

ALL = (
    USERS_READ_ALL, USERS_MANAGE, ROLES_MANAGE, SETTINGS_MANAGE, AUDIT_READ, EVENTS_CREATE, EVENTS_MANAGE_ANY,
    REVIEWS_MODERATE, BOOKINGS_READ_ALL, BOOKINGS_MANAGE_ANY, PAYMENTS_READ_ALL, PAYMENTS_CONFIRM, PAYMENTS_REFUND,
    MAILINGS_MANAGE, SUPPORT_REPLY, OPS_READ,
)

ADMIN, ORGANIZER, SUPPORT, PARTICIPANT = "admin", "organizer", "support", "participant"

# Seeded at start-up when the roles do not exist yet; admins may change them through /api/v1/roles.
DEFAULT_ROLES: dict[str, tuple[str, ...]] = {
    ADMIN: ALL,
    ORGANIZER: (EVENTS_CREATE, MAILINGS_MANAGE),
    SUPPORT: (USERS_READ_ALL, BOOKINGS_READ_ALL, PAYMENTS_READ_ALL, PAYMENTS_CONFIRM, REVIEWS_MODERATE, SUPPORT_REPLY),
    PARTICIPANT: (),
}
