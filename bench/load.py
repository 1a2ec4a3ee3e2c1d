"""The load driver: a fixed number of concurrent clients for a fixed time, in its own process.

Run as ``python -m bench.load SPEC.json`` (the harness pins it to a CPU the server does not use). Each
client sends a request, waits for the answer, and sends the next (a closed loop). With a ``rate`` in the spec
requests start on a fixed schedule instead, whatever the answers (an open loop, like many independent mobile
clients), so latency is measured at that throughput rather than at saturation. Requests started during the
warm-up are not counted. At the start and end of the measured window the driver reads the CPU time of
the API process and of PostgreSQL, and the server's ``/metrics`` counters, so the figures cover exactly the
measured requests. The HTTP client is a minimal HTTP/1.1 keep-alive client on asyncio streams: it costs far
less CPU than a general-purpose client, so the driver stays ahead of the server.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench import procs

Call = Callable[[int, int], Awaitable[str | None]]  # (client, n) -> None, or an error description


@dataclass
class Window:
    """What is read at the start and at the end of the measured window."""

    app_cpu: float | None = None
    pg_cpu: float | None = None
    driver_cpu: float | None = None
    counters: dict[str, float] = field(default_factory=dict)


@dataclass
class Timings:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


def cpu_reading(app_pid: int | None, postmaster_pid: int | None) -> Window:
    return Window(
        app_cpu=procs.cpu_seconds(app_pid) if app_pid else None,
        pg_cpu=procs.tree_cpu_seconds(postmaster_pid) if postmaster_pid else None,
        driver_cpu=time.process_time(),
    )


class _Run:
    """The clock of one run: requests started (or due) inside the measured window are counted, and the
    readings are taken at its start and end."""

    def __init__(self, warmup: float, duration: float, read_window: Callable[[], Awaitable[Window]]) -> None:
        self.timings = Timings()
        self.duration = duration
        self.started = time.perf_counter()
        self.window_start = self.started + warmup
        self.window_end = self.window_start + duration
        self._read_window = read_window

    def record(self, started: float, problem: str | None) -> None:
        if started < self.window_start:
            return
        if problem is None:
            self.timings.latencies.append(time.perf_counter() - started)
        else:
            self.timings.errors += 1
            self.timings.first_error = self.timings.first_error or problem

    async def around(self, load: Awaitable[None]) -> tuple[Timings, Window, Window, float]:
        """Run ``load`` while reading the window's start and end."""

        async def sample() -> tuple[Window, Window]:
            await asyncio.sleep(max(0.0, self.window_start - time.perf_counter()))
            first = await self._read_window()
            await asyncio.sleep(max(0.0, self.window_end - time.perf_counter()))
            return first, await self._read_window()

        sampling = asyncio.create_task(sample())
        await load
        first, last = await sampling
        return self.timings, first, last, self.duration


async def closed_loop(
    call: Call,
    concurrency: int,
    warmup: float,
    duration: float,
    read_window: Callable[[], Awaitable[Window]],
) -> tuple[Timings, Window, Window, float]:
    """Run ``concurrency`` clients for ``warmup + duration`` seconds; count requests started in the window."""
    run = _Run(warmup, duration, read_window)

    async def client(c: int) -> None:
        n = c
        while (started := time.perf_counter()) < run.window_end:
            run.record(started, await call(c, n))
            n += concurrency

    async def clients() -> None:
        await asyncio.gather(*(client(c) for c in range(concurrency)))

    return await run.around(clients())


async def open_loop(
    call: Call,
    rate: float,
    slots: int,
    warmup: float,
    duration: float,
    read_window: Callable[[], Awaitable[Window]],
) -> tuple[Timings, Window, Window, float]:
    """Start ``rate`` requests per second for ``warmup + duration`` seconds on up to ``slots`` connections.

    Latency counts from when a request was due, not from when a connection was free to send it: a server
    that falls behind shows in the figures instead of slowing the schedule down (no coordinated omission).
    """
    run = _Run(warmup, duration, read_window)
    free: asyncio.Queue[int] = asyncio.Queue()
    for slot in range(slots):
        free.put_nowait(slot)

    async def one(due: float, n: int) -> None:
        slot = await free.get()
        try:
            problem = await call(slot, n)
        finally:
            free.put_nowait(slot)
        run.record(due, problem)

    async def schedule() -> None:
        running: set[asyncio.Task[None]] = set()
        interval, n = 1 / rate, 0
        due = run.started
        while due < run.window_end:
            now = time.perf_counter()
            while due <= now and due < run.window_end:  # a late wake-up starts every request due by now
                task = asyncio.create_task(one(due, n))
                running.add(task)
                task.add_done_callback(running.discard)
                n += 1
                due = run.started + n * interval
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await asyncio.gather(*running)

    return await run.around(schedule())


def summarise(timings: Timings, start: Window, end: Window, duration: float) -> dict[str, Any]:
    """Requests/s, latency percentiles and CPU per request for one run."""
    ok = sorted(timings.latencies)
    count = len(ok)
    per_request = 1000 / count if count else 0.0

    def cpu_ms(attr: str) -> float | None:
        a, b = getattr(start, attr), getattr(end, attr)
        return None if a is None or b is None or not count else (b - a) * per_request

    def ms(value: float | None) -> float | None:
        return None if value is None else value * 1000

    statements = end.counters.get("statements", 0) - start.counters.get("statements", 0)
    requests = end.counters.get("requests", 0) - start.counters.get("requests", 0)
    return {
        "requests": count,
        "errors": timings.errors,
        "first_error": timings.first_error,
        "seconds": duration,
        "rps": count / duration if duration else 0.0,
        "p50_ms": ms(percentile(ok, 0.50)),
        "p90_ms": ms(percentile(ok, 0.90)),
        "p99_ms": ms(percentile(ok, 0.99)),
        "max_ms": ms(ok[-1] if ok else None),
        "app_cpu_ms": cpu_ms("app_cpu"),
        "pg_cpu_ms": cpu_ms("pg_cpu"),
        "driver_cpu_ms": cpu_ms("driver_cpu"),
        "sql_per_request": statements / requests if requests else None,
    }


class HttpConnection:
    """One keep-alive HTTP/1.1 connection; enough of the protocol for uvicorn's answers."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        length = re.search(rb"\r\ncontent-length: *(\d+)", lower)
        if length is not None:
            body = await self.reader.readexactly(int(length.group(1)))
        elif b"transfer-encoding: chunked" in lower:
            body = await self._chunked()
        else:
            body = await self.reader.read()
            await self.close()
        if b"\r\nconnection: close" in lower:
            await self.close()
        return status, body

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def post_request(host: str, token: str, body: bytes) -> bytes:
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def check_answer(status: int, body: bytes, expect: bytes | None) -> str | None:
    """None for a good answer, else a short description of what went wrong."""
    if status != 200:
        return f"HTTP {status}: {body[:300].decode(errors='replace')}"
    if b'"errors"' in body:
        return body[:300].decode(errors="replace")
    if expect is not None and expect not in body:
        return f"answer lacks {expect.decode()}: {body[:300].decode(errors='replace')}"
    return None


_COUNTER = re.compile(rb"^(rapport_sql_statements_total|rapport_requests_total)(?:\{[^}]*\})? ([0-9.eE+-]+)$", re.M)


def parse_metrics(text: bytes) -> dict[str, float]:
    """Total SQL statements and GraphQL requests so far, from the Prometheus exposition."""
    totals = {"statements": 0.0, "requests": 0.0}
    for name, value in _COUNTER.findall(text):
        totals["statements" if name.startswith(b"rapport_sql") else "requests"] += float(value)
    return totals


async def drive_http(spec: dict[str, Any]) -> dict[str, Any]:
    host, port, token = spec["host"], spec["port"], spec["token"]
    requests = [post_request(host, token, body.encode()) for body in spec["bodies"]]
    expect = spec["expect"].encode() if spec.get("expect") else None
    connections = [HttpConnection(host, port) for _ in range(spec["concurrency"])]
    metrics_connection = HttpConnection(host, port)
    metrics_request = f"GET /metrics HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

    async def call(c: int, n: int) -> str | None:
        status, body = await connections[c].request(requests[n % len(requests)])
        return check_answer(status, body, expect)

    async def read_window() -> Window:
        window = cpu_reading(spec.get("app_pid"), spec.get("postmaster_pid"))
        # A connection of its own each time: between readings it idles past uvicorn's keep-alive timeout (5 s).
        await metrics_connection.close()
        _, text = await metrics_connection.request(metrics_request)
        window.counters = parse_metrics(text)
        return window

    if spec.get("rate"):
        run = open_loop(call, spec["rate"], spec["concurrency"], spec["warmup"], spec["duration"], read_window)
    else:
        run = closed_loop(call, spec["concurrency"], spec["warmup"], spec["duration"], read_window)
    result = summarise(*await run)
    if spec.get("rate"):
        result["rate"] = spec["rate"]
    for connection in [*connections, metrics_connection]:
        await connection.close()
    return result


def run_driver(drive: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> None:
    """Entry point of a driver process: the spec file is argv[1]; one JSON line of results on stdout."""
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    try:
        import uvloop

        runner: Callable[[Awaitable[dict[str, Any]]], dict[str, Any]] = uvloop.run  # type: ignore[assignment]
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        runner = asyncio.run  # type: ignore[assignment]
    print(json.dumps(runner(drive(spec))))


if __name__ == "__main__":
    run_driver(drive_http)
