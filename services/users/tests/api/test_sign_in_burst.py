"""A burst of sign-ins cannot starve the rest of the users API: Argon2 runs on a bounded pool of its own,
sign-ins beyond it are refused at once with a 503 problem and Retry-After, and /users/me and the JWKS
keep answering meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from users_service.bootstrap import Container, build
from users_service.passwords import Passwords

pytestmark = pytest.mark.api

WORKERS, QUEUE = 1, 2
# More sign-ins at once than the API's whole thread pool (40): before the hashing pool had its own
# threads and bound, these alone held every thread and /users/me could not be served.
BURST = 48


class GatedArgon2(Argon2Hasher):
    """Argon2id (cheap parameters) whose checks wait while the gate is shut: a hash that takes as long as the
    test needs, so "while the logins run" is a state the test holds rather than a race against a clock."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.gate = threading.Event()
        self.gate.set()

    def verify(self, password, hash) -> bool:  # noqa: A002 - pwdlib's signature
        assert self.gate.wait(60), "the test never opened the gate"
        return super().verify(password, hash)


HASHER = GatedArgon2()


@pytest.fixture(scope="module")
def service(settings) -> Iterator[Container]:
    built = build(settings, passwords=Passwords(PasswordHash((HASHER,)), workers=WORKERS, queue=QUEUE))
    yield built
    built.close()


def test_excess_sign_ins_are_refused_quickly_and_reads_keep_answering(client, signup, problem):
    ada = signup()
    login = {"email": ada.email, "password": ada.password}
    HASHER.gate.clear()
    try:
        with ThreadPoolExecutor(BURST) as pool:
            logins = [pool.submit(client.post, "/api/v1/users/login", json=login) for _ in range(BURST)]
            # Refusals come back while the admitted sign-ins are still stuck in the gated hash.
            expected_refusals = BURST - WORKERS - QUEUE
            deadline = time.monotonic() + 60
            while sum(f.done() for f in logins) < expected_refusals:
                assert time.monotonic() < deadline, "excess sign-ins were not refused"
                time.sleep(0.05)
            refused = [f.result() for f in logins if f.done()]
            assert len(refused) == expected_refusals
            for response in refused:
                assert problem(response, 503)["type"] == "/docs/problems#hashing-busy"
                assert response.headers["Retry-After"] == "1"
            # The hashing pool is full and its queue too: other requests are served all the same.
            me = pool.submit(client.get, "/api/v1/users/me", headers=ada.headers).result(timeout=60)
            assert me.status_code == 200 and me.json()["email"] == ada.email
            assert pool.submit(client.get, "/.well-known/jwks.json").result(timeout=60).status_code == 200
            # Registering needs a hash too, and is refused the same way.
            account = {"email": "x@example.com", "full_name": "X", "password": "correct horse battery 42"}
            problem(pool.submit(client.post, "/api/v1/users/", json=account).result(60), 503)
            HASHER.gate.set()
            admitted = [f.result(timeout=60) for f in logins if f.result(timeout=60).status_code != 503]
    finally:
        HASHER.gate.set()
    assert [r.status_code for r in admitted] == [200] * (WORKERS + QUEUE)
    # Once the burst is over, sign-ins work again.
    assert client.post("/api/v1/users/login", json=login).status_code == 200

