"""A lean load generator for the ticket rush, run in its own process: raw asyncio HTTP/1.1 on keep-alive
connections, no HTTP library, no Kafka. It sends booking requests and (for a paid event) pays them in the
sandbox, records when it sent each one (wall clock), and reports its own CPU-seconds.

    python bench/_loadgen.py job.json out.json

Job: {"host", "port", "mode": "rush" | "serial", "event_id", "tokens": [...], "requests", "clients",
"paid": bool}. In "rush" mode `clients` connections share `requests` bookings; in "serial" mode one
connection books one at a time and waits (polling GET /bookings/{id}) until each is final.
It does not judge "final" for the rush: the orchestrator observes that through the public API.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import datetime

FINAL = {"confirmed", "waitlisted", "rejected", "cancelled", "expired"}


class Connection:
    """One keep-alive HTTP/1.1 connection (Content-Length or chunked responses)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
        for attempt in range(3):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            data = json.dumps(body).encode() if body is not None else b""
            head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
            try:
                self.writer.write(head + data)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer.close()
                self.writer = None  # the server closed an idle keep-alive connection: open a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, dict]:
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[bytes, bytes] = {}
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            chunks = []
            while (size := int((await self.reader.readuntil(b"\r\n")).strip(), 16)) > 0:
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readexactly(2)
            payload = b"".join(chunks)
        else:
            payload = await self.reader.readexactly(int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection", b"").lower() == b"close":
            self.writer.close()
            self.writer = None
        return status, (json.loads(payload) if payload else {})


async def book(conn: Connection, token: str, event_id: str, paid: bool) -> tuple[str, float]:
    """POST a booking (retrying a 429 after a moment); its id and when it was sent (wall clock)."""
    body = {"event_id": event_id, "group_size": 1, **({"payment_method": "sandbox"} if paid else {})}
    while True:
        sent = time.time()
        status, reply = await conn.request("POST", "/api/v1/bookings/", token, body)
        if status == 202:
            return reply["id"], sent
        if status != 429:
            raise RuntimeError(f"booking refused: {status} {reply}")
        await asyncio.sleep(0.05)


async def settle(conn: Connection, token: str, booking_id: str, paid: bool, poll: float) -> dict:
    """Poll the booking until final, paying it in the sandbox when it awaits payment; its last body."""
    paid_once = False
    while True:
        status, reply = await conn.request("GET", f"/api/v1/bookings/{booking_id}", token)
        if status == 200 and reply["status"] in FINAL:
            return reply
        if status == 200 and reply["status"] == "awaiting_payment" and paid and not paid_once:
            code, _ = await conn.request("POST", f"/api/v1/payments/{reply['payment_id']}/sandbox", token,
                                         {"outcome": "succeeded"})
            paid_once = code == 200  # 404: the payment is not created yet; ask again on the next round
        await asyncio.sleep(poll)


async def rush(job: dict) -> dict:
    sent: dict[str, float] = {}
    todo = iter(range(job["requests"]))

    async def client(n: int) -> None:
        conn = Connection(job["host"], job["port"])
        for i in todo:
            token = job["tokens"][i % len(job["tokens"])]
            booking_id, t0 = await book(conn, token, job["event_id"], job["paid"])
            sent[booking_id] = t0
            if job["paid"]:  # a payer completes the card form once the booking awaits payment
                await settle(conn, token, booking_id, True, 0.05)

    started = time.time()
    await asyncio.gather(*(client(n) for n in range(job["clients"])))
    return {"started": started, "accepted_done": time.time(), "sent": sent}


async def serial(job: dict) -> dict:
    conn = Connection(job["host"], job["port"])
    latencies = []
    for i in range(job["requests"]):
        token = job["tokens"][i % len(job["tokens"])]
        booking_id, t0 = await book(conn, token, job["event_id"], job["paid"])
        final = await settle(conn, token, booking_id, job["paid"], 0.003)
        # The server's own time of the final step: polling cadence does not enter the figure.
        latencies.append(datetime.fromisoformat(final["updated_at"]).timestamp() - t0)
    return {"latencies": latencies}


def main() -> None:
    job = json.loads(open(sys.argv[1]).read())
    result = asyncio.run(rush(job) if job["mode"] == "rush" else serial(job))
    t = os.times()
    result["cpu_seconds"] = t.user + t.system
    with open(sys.argv[2], "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
