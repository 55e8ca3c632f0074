"""Make the broker's ACLs say exactly what contracts.access declares (idempotent; run by deploy/kafka.sh).

    python -m deploy.kafka_acls              # as $KAFKA_USERNAME (the super user `admin` in deploy scripts)
    python -m deploy.kafka_acls --usernames  # the SCRAM users the broker needs, one a line
    python -m deploy.kafka_acls --show       # the declared ACLs, without touching the broker

ACLs of the declared principals that the declaration no longer has are deleted, so taking a permission
away is an edit of contracts/access.py too. ACLs of other principals are left alone. aiokafka has no
high-level ACL API, so this sends its CreateAcls/DescribeAcls/DeleteAcls requests (v1, which every 4.x
broker serves) through the admin client. A broker without an authorizer (an EXTERNAL_KAFKA that runs
without security) answers SECURITY_DISABLED: reported, not fatal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import NamedTuple

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import IncompatibleBrokerVersion, KafkaError, for_code
from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from contracts.access import principals, usernames
from spine.settings import InfraSettings

# Kafka's wire codes (org.apache.kafka.common.resource / acl).
TOPIC, GROUP = 2, 3
ANY, LITERAL, PREFIXED = 1, 3, 4
READ, WRITE, DESCRIBE = 3, 4, 8
ALLOW = 3
SECURITY_DISABLED = 54
OPERATIONS = {READ: "READ", WRITE: "WRITE", DESCRIBE: "DESCRIBE"}
RESOURCES = {TOPIC: "topic", GROUP: "group"}
PATTERNS = {LITERAL: "", PREFIXED: "*"}


class Acl(NamedTuple):
    """One ALLOW binding for any host."""

    resource_type: int
    resource_name: str
    pattern_type: int
    principal: str
    operation: int

    def __str__(self) -> str:
        return (f"{self.principal:<20} {OPERATIONS[self.operation]:<8} {RESOURCES[self.resource_type]:<5} "
                f"{self.resource_name}{PATTERNS[self.pattern_type]}")


def declared() -> set[Acl]:
    """The ACLs contracts.access asks for (WRITE and READ imply DESCRIBE, so that is not listed)."""
    acls: set[Acl] = set()
    for access in principals().values():
        user = f"User:{access.principal}"
        acls |= {Acl(TOPIC, topic, LITERAL, user, WRITE) for topic in access.writes()}
        acls |= {Acl(TOPIC, topic, LITERAL, user, READ) for topic in access.reads()}
        if access.group_prefix:
            acls.add(Acl(GROUP, access.group_prefix, PREFIXED, user, READ))
        if access.describes_groups:
            acls.add(Acl(GROUP, "*", LITERAL, user, DESCRIBE))
    return acls


def _rows(acls: list[Acl]) -> list[tuple]:
    return [(a.resource_type, a.resource_name, a.pattern_type, a.principal, "*", a.operation, ALLOW) for a in acls]


# All creations (or deletion filters) in one request, so one metadata transaction instead of one per ACL:
# 59 single requests to a just-started broker on a busy machine timed out. aiokafka's request classes
# carry one ACL each; these send v1 (v0 has no pattern type, and 4.x brokers no longer serve it) with many.
class _CreateMany(CreateAclsRequest):
    def __init__(self, acls: list[Acl]):
        self._rows = _rows(acls)

    def build(self, request_struct_class):
        if request_struct_class.API_VERSION < 1:
            raise IncompatibleBrokerVersion("CreateAcls v1 needed")
        return request_struct_class(self._rows)


class _DeleteMany(DeleteAclsRequest):
    def __init__(self, acls: list[Acl]):
        self._rows = _rows(acls)

    def build(self, request_struct_class):
        if request_struct_class.API_VERSION < 1:
            raise IncompatibleBrokerVersion("DeleteAcls v1 needed")
        return request_struct_class(self._rows)


class SecurityDisabled(Exception):
    """The broker has no authorizer: there is nothing to apply."""


def _check(code: int, message: str | None) -> None:
    if code == SECURITY_DISABLED:
        raise SecurityDisabled(message)
    if code:
        raise for_code(code)(message)


async def current(admin: AIOKafkaAdminClient) -> set[Acl]:
    """Every ALLOW ACL on the broker, for any host."""
    response = await admin._send_request(DescribeAclsRequest(ANY, None, ANY, None, None, ANY, ANY))  # noqa: SLF001
    _check(response.error_code, response.error_message)
    return {Acl(rtype, name, pattern, principal, op)
            for rtype, name, pattern, acls in response.resources
            for principal, host, op, permission in acls if permission == ALLOW and host == "*"}


@retry(retry=retry_if_exception_type((KafkaError, TimeoutError)), stop=stop_after_delay(90), wait=wait_fixed(1),
       reraise=True)
async def apply(settings: InfraSettings, timeout: float = 30.0) -> tuple[int, int]:
    """Create missing ACLs, delete stale ones of the declared principals; wait until the broker serves them."""
    want = declared()
    ours = {f"User:{name}" for name in principals()}
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=30000,
                                **settings.kafka_client_options())
    await admin.start()
    try:
        have = await current(admin)
        stale = {acl for acl in have - want if acl.principal in ours}
        if stale:
            r = await admin._send_request(_DeleteMany(sorted(stale)))  # noqa: SLF001
            for code, message, _ in r.filter_responses:
                _check(code, message)
        if want - have:
            r = await admin._send_request(_CreateMany(sorted(want - have)))  # noqa: SLF001
            for code, message in r.creation_responses:
                _check(code, message)
        # ACLs take effect once the metadata log is applied: a client started right after must see them.
        deadline = asyncio.get_running_loop().time() + timeout
        while not (want <= (now := await current(admin)) and not stale & now):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"ACLs not in effect after {timeout} s: missing {sorted(want - now)}")
            await asyncio.sleep(0.2)
        return len(want - have), len(stale)
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", help="brokers (default: $KAFKA_BOOTSTRAP_SERVERS)")
    parser.add_argument("--usernames", action="store_true", help="print the SCRAM users the broker needs")
    parser.add_argument("--show", action="store_true", help="print the declared ACLs")
    args = parser.parse_args(argv)
    if args.usernames:
        print("\n".join(usernames()))
        return 0
    if args.show:
        print("\n".join(str(acl) for acl in sorted(declared())))
        return 0
    settings = InfraSettings(**({"kafka_bootstrap_servers": args.bootstrap} if args.bootstrap else {}))
    try:
        created, deleted = asyncio.run(apply(settings))
    except SecurityDisabled as exc:
        print(f"kafka_acls: the broker has no authorizer ({exc}); no ACLs applied", file=sys.stderr)
        return 0
    print(f"kafka_acls: {len(declared())} ACLs declared; {created} created, {deleted} deleted", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
