"""The users Application: registration, sessions, roles and settings — commands in, events out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from authkit.settings import AUDIENCE, ISSUER
from authkit.tokens import issue_access_token
from contracts.permissions import ADMIN, ALL, DEFAULT_ROLES, PARTICIPANT
from spine import context
from spine.eventstore import ServiceApplication
from spine.retry import retrying
from users_service.credentials import Credentials
from users_service.domain import (
    ROLE_INDEX_ID, AccountDisabled, BeyondYourPermissions, EmailAlreadyRegistered, EmailRegistration,
    InvalidCredentials, RefreshTokenInvalid, RefreshTokenReused, Role, RoleIndex, Setting, SettingNotFound,
    TokenFamily, UnknownRole, User, UserNotFound, check_password_strength, email_registration_id, role_id,
    setting_id,
)
from users_service.domain.role import check_definition
from users_service.domain.setting import KNOWN_SETTINGS, SettingState, definition, state_of
from users_service.keys import KeyRing
from users_service.passwords import Passwords
from users_service.tokens import family_of, new_refresh_token, token_hash

T = TypeVar("T")


@dataclass(frozen=True)
class TokenPolicy:
    """Lifetimes and audience of the tokens this service issues."""

    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=14)
    issuer: str = ISSUER
    audience: str = AUDIENCE
    reset_ttl: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class TokenPair:
    """What a successful login or refresh returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class Users(Credentials, ServiceApplication):
    """Accounts, sessions, roles and settings of the platform (password changes and resets: Credentials)."""

    snapshotting_intervals = {TokenFamily: 50, RoleIndex: 50, Setting: 50}

    def __init__(self, env: dict[str, str] | None = None, *, keys: KeyRing | None = None,
                 passwords: Passwords | None = None, policy: TokenPolicy | None = None):
        super().__init__(env)
        self.keys = keys
        self.passwords = passwords or Passwords()
        self.policy = policy or TokenPolicy()

    # --- accounts -------------------------------------------------------------------------------------

    def register(self, email: str, full_name: str, password: str, role: str = PARTICIPANT, *,
                 check_strength: bool = True, locale: str | None = None) -> User:
        """Create an account; raises EmailAlreadyRegistered when the e-mail (any case) is taken, WeakPassword.

        Without a `locale` the account gets the `default_locale` setting's value at this moment."""
        self.check_role_exists(role)
        if check_strength:
            check_password_strength(password, user_inputs=(email, full_name))
        user = User(email, full_name.strip(), self.passwords.hash(password), role,
                    locale=locale or self.default_locale())
        claim = EmailRegistration(email, user.id)
        try:
            # Signing up is the new user's own act (the audit log's actor); an admin creating one stays the actor.
            with context.caused_by(actor_id=context.current().actor_id or str(user.id)):
                self.save(user, claim)
        except IntegrityError:
            raise EmailAlreadyRegistered(f"an account for {user.email} already exists") from None
        return user

    def default_locale(self) -> str:
        """The `default_locale` setting (its declared default while nobody set it)."""
        return str(self.setting("default_locale").value)

    def change_locale(self, user_id: UUID, locale: str) -> User:
        """The user's language for e-mails and messages; raises UserNotFound."""
        def change() -> User:
            user = self.user(user_id)
            user.change_locale(locale)
            self.save(user)
            return user
        return self._retrying(change)

    def user(self, user_id: UUID) -> User:
        """The account; raises UserNotFound."""
        return self._get(user_id, User, UserNotFound(f"user {user_id} not found"))

    def user_by_email(self, email: str) -> User | None:
        try:
            claim = self.repository.get(email_registration_id(email))
        except AggregateNotFoundError:
            return None
        return self.user(claim.user_id)

    def is_revoked(self, user_id: UUID, user_version: int | None = None, role: str | None = None,
                   role_version: int | None = None) -> bool:
        """Whether an access token must be refused: the account is disabled or gone, or the token was issued
        before a role/password change or re-enabling (`user_version`) or before its role was redefined."""
        try:
            user = self.user(user_id)
        except UserNotFound:
            return True
        if user.disabled or (user_version or 0) < user.tokens_valid_from:
            return True
        try:
            defined = self.repository.get(role_id(role)) if role else None
        except AggregateNotFoundError:
            return True
        return defined is not None and (role_version or 0) < defined.tokens_valid_from

    def change_role(self, user_id: UUID, role: str, *, by: UUID | None = None) -> User:
        """Give a user another role; raises UserNotFound, UnknownRole, AccountDisabled, BeyondYourPermissions.

        `by` (the admin) must hold every permission of the new role and of the user's current one.
        """
        new_role = self.check_role_exists(role)

        def change(user: User) -> None:
            if by is not None:
                self.check_ceiling(by, new_role.permissions, f"granting the role {role!r}")
                self.check_ceiling(by, self.permissions_of(user.role), f"changing the role of a {user.role}")
            user.check_managed_by(by)
            user.change_role(role)
        return self._retrying(lambda: self._change(user_id, change))

    def disable(self, user_id: UUID, reason: str | None = None, *, by: UUID | None = None) -> User:
        """Disable an account: no more logins or refreshes, and services refuse its access tokens."""
        def disable(user: User) -> None:
            self._manageable(user, by)
            user.disable(reason)
        return self._retrying(lambda: self._change(user_id, disable))

    def enable(self, user_id: UUID, *, by: UUID | None = None) -> User:
        """Re-enable a disabled account; raises AccountNotDisabled. Its old tokens and sessions stay void."""
        def enable(user: User) -> None:
            self._manageable(user, by)
            user.enable()
        return self._retrying(lambda: self._change(user_id, enable))

    def check_ceiling(self, actor_id: UUID, permissions: Iterable[str], action: str) -> None:
        """Raises BeyondYourPermissions unless the actor's role (as defined now) holds every permission."""
        try:
            held = set(self.permissions_of(self.user(actor_id).role))
        except UserNotFound:
            held = set()
        missing = sorted(set(permissions) - held)
        if missing:
            raise BeyondYourPermissions(f"{action} needs permissions you do not hold: {', '.join(missing)}")

    def _manageable(self, user: User, by: UUID | None) -> None:
        if by is not None:
            self.check_ceiling(by, self.permissions_of(user.role), f"managing a {user.role}")
        user.check_managed_by(by)

    def _change(self, user_id: UUID, command: Callable[[User], None]) -> User:
        user = self.user(user_id)
        command(user)
        self.save(user)
        return user

    # --- sessions -------------------------------------------------------------------------------------

    def login(self, email: str, password: str) -> TokenPair:
        """Check the password and start a session; raises InvalidCredentials or AccountDisabled."""
        user = self.user_by_email(email)
        if user is None or user.password_hash is None:  # no account, or a reset was forced
            self.passwords.burn(password)
            raise InvalidCredentials("wrong e-mail or password")
        valid, rehashed = self.passwords.verify(password, user.password_hash)
        if not valid:
            raise InvalidCredentials("wrong e-mail or password")
        user.check_active()
        refresh = self._start_family(user)
        if rehashed:
            user.change_password_hash(rehashed)
            self.save(user, refresh[0])
        else:
            self.save(refresh[0])
        return self._pair(user, refresh[1])

    def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair; a spent token revokes its family (RefreshTokenReused)."""
        return self._retrying(lambda: self._refresh(refresh_token))

    def _refresh(self, refresh_token: str) -> TokenPair:
        family = self._family(refresh_token)
        successor = new_refresh_token(family.id)
        try:
            family.rotate(token_hash(refresh_token), token_hash(successor), _now(), self.policy.refresh_ttl)
        except RefreshTokenReused:
            self.save(family)  # the revocation must stick even though the request fails
            raise
        user = self.user(family.user_id)
        if user.disabled:
            family.revoke("account disabled")
            self.save(family)
            raise AccountDisabled("the account is disabled")
        if family.user_version < user.sessions_valid_from:
            family.revoke("password changed or account re-enabled")
            self.save(family)
            raise RefreshTokenInvalid("the session ended: the password changed or the account was re-enabled; "
                                      "log in again")
        self.save(family)
        return self._pair(user, successor)

    def logout(self, refresh_token: str) -> None:
        """End the session the refresh token belongs to (every token of that login); repeating is harmless."""
        def end() -> None:
            family = self._family(refresh_token)
            if not family.owns(token_hash(refresh_token)):
                raise RefreshTokenInvalid("unknown refresh token")
            family.revoke("logout")
            self.save(family)
        self._retrying(end)

    def _family(self, refresh_token: str) -> TokenFamily:
        return self._get(family_of(refresh_token), TokenFamily, RefreshTokenInvalid("unknown refresh token"))

    def _start_family(self, user: User) -> tuple[TokenFamily, str]:
        family_id = uuid4()  # chosen first: the token carries it
        token = new_refresh_token(family_id)
        family = TokenFamily(family_id, user.id, token_hash(token), _now() + self.policy.refresh_ttl,
                             user_version=user.version)
        return family, token

    def _pair(self, user: User, refresh_token: str) -> TokenPair:
        assert self.keys is not None, "Users needs a KeyRing to issue tokens"
        signing, ttl = self.keys.signing, self.policy.access_ttl
        try:
            role: Role | None = self.repository.get(role_id(user.role))
        except AggregateNotFoundError:
            role = None  # an undefined role grants nothing
        access = issue_access_token(signing.key, signing.kid, user_id=user.id, role=user.role,
                                    permissions=role.permissions if role else (),
                                    ttl_seconds=int(ttl.total_seconds()),
                                    issuer=self.policy.issuer, audience=self.policy.audience,
                                    user_version=user.version, role_version=role.version if role else None)
        return TokenPair(access, refresh_token, int(ttl.total_seconds()))

    # --- roles ----------------------------------------------------------------------------------------

    def define_role(self, name: str, permissions: Iterable[str], *, by: UUID | None = None) -> tuple[Role, bool]:
        """Create a role or replace its permissions; returns the role and whether it is new.

        `by` must hold every permission the role grants, before and after (BeyondYourPermissions).
        """
        permissions = check_definition(name, permissions)  # a bad definition is 422 before any ceiling 403

        def define() -> tuple[Role, bool]:
            if by is not None:
                self.check_ceiling(by, permissions, f"defining the role {name!r}")
            try:
                role = self.repository.get(role_id(name))
            except AggregateNotFoundError:
                role, index = Role.define(name, permissions), self._role_index()
                index.add(name)
                self.save(role, index)
                return role, True
            if by is not None:
                self.check_ceiling(by, role.permissions, f"redefining the role {name!r}")
            role.redefine(permissions)
            self.save(role)
            return role, False
        return self._retrying(define)

    def roles(self) -> list[Role]:
        """Every defined role, in the order they were defined."""
        return [self.repository.get(role_id(name)) for name in self._role_index().names]

    def check_role_exists(self, name: str) -> Role:
        return self._get(role_id(name), Role, UnknownRole(f"role {name!r} is not defined"))

    def permissions_of(self, role: str) -> tuple[str, ...]:
        """The permissions a role grants now (an undefined role grants none)."""
        try:
            return tuple(self.repository.get(role_id(role)).permissions)
        except AggregateNotFoundError:
            return ()

    def _role_index(self) -> RoleIndex:
        try:
            return self.repository.get(ROLE_INDEX_ID)
        except AggregateNotFoundError:
            return RoleIndex()

    # --- settings -------------------------------------------------------------------------------------

    def setting(self, key: str) -> SettingState:
        """A known setting's current value (its default while unset); raises SettingNotFound for other keys."""
        definition(key)
        try:
            return state_of(key, self.repository.get(setting_id(key)))
        except AggregateNotFoundError:
            return state_of(key, None)

    def settings(self) -> list[SettingState]:
        """Every known setting, in definition order."""
        return [self.setting(key) for key in KNOWN_SETTINGS]

    def put_setting(self, key: str, value: Any, type_: str | None = None) -> tuple[SettingState, bool]:
        """Set a known setting (its type is the definition's; a `type_` given must agree); raises
        InvalidSetting. Returns the new state and whether the setting's stream is new."""
        def put() -> tuple[SettingState, bool]:
            try:
                setting = self.repository.get(setting_id(key))
            except AggregateNotFoundError:
                setting = Setting.set_first(key, value, type_)
                self.save(setting)
                return state_of(key, setting), True
            setting.change(value, type_)
            self.save(setting)
            return state_of(key, setting), False
        return self._retrying(put)

    def reset_setting(self, key: str) -> SettingState:
        """Return a known setting to its default (SettingReset on users.v1); raises SettingNotFound."""
        definition(key)

        def reset() -> SettingState:
            try:
                setting = self.repository.get(setting_id(key))
            except AggregateNotFoundError:
                return state_of(key, None)  # never set: it already holds its default
            setting.reset()
            self.save(setting)
            return state_of(key, setting)
        return self._retrying(reset)

    # --- start-up -------------------------------------------------------------------------------------

    def seed(self, admin_email: str, admin_password: str) -> None:
        """Create missing default roles and the first admin; safe to run on every start of every replica."""
        for name, permissions in DEFAULT_ROLES.items():
            if role_id(name) not in self.repository:
                self._ignore_conflict(lambda n=name, p=permissions: self.define_role(n, p))
        # Permissions added in a later release reach the admin role of an existing deployment.
        admin_role = self.check_role_exists(ADMIN)
        if not set(ALL) <= set(admin_role.permissions):
            self._ignore_conflict(lambda: self.define_role(ADMIN, {*admin_role.permissions, *ALL}))
        if self.user_by_email(admin_email) is None:
            try:
                # Not strength-checked: in production the settings refuse a weak or default ADMIN_PASSWORD.
                self.register(admin_email, "Administrator", admin_password, role=ADMIN, check_strength=False)
            except EmailAlreadyRegistered:
                pass  # another replica was faster

    # --- plumbing -------------------------------------------------------------------------------------

    def _get(self, aggregate_id: UUID, kind: type[T], missing: Exception) -> T:
        """The aggregate of that kind, or `missing` raised. Ids come from requests (a user id, the id part of a
        refresh token) and some aggregates have public deterministic ids (roles, settings): an id naming an
        aggregate of another kind is as missing as an unknown one."""
        try:
            found = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(found, kind):
            raise missing
        return found

    @staticmethod
    def _retrying(command: Callable[[], T], attempts: int = 3) -> T:
        """Re-run a command that lost an optimistic-concurrency race (it reloads the aggregates)."""
        return retrying(command, attempts=attempts)

    @staticmethod
    def _ignore_conflict(command: Callable[[], object]) -> None:
        try:
            command()
        except IntegrityError:
            pass


def _now() -> datetime:
    return datetime.now(UTC)
