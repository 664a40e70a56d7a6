#!/usr/bin/env python3
"""The drill's shop: a CPU-bound backend with a bounded worker pool, behind nginx.

Each /buy request waits in a bounded queue, then takes WORK_MS of CPU on one of WORKERS threads.
Python runs one thread at a time, so the shop serves about 1000 / WORK_MS requests a second
whatever WORKERS is; past that the queue fills, latency climbs, and when the queue is full the
request is refused with 503 at once: the overload the drill has to catch.

/metrics serves the Prometheus text format: http_requests_total{code}, the request duration
histogram (arrival to response, queueing included), app_inflight_requests, app_queue_length.

Usage: shop_backend.py PORT [--work-ms 8] [--workers 4] [--queue 100]
"""
import argparse
import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]


class Metrics:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {"200": 0, "503": 0}
        self.bucket_counts = [0] * (len(BUCKETS) + 1)
        self.duration_sum = 0.0
        self.inflight = 0
        self.queued = 0

    def observe(self, code, seconds):
        with self.lock:
            self.requests[code] = self.requests.get(code, 0) + 1
            self.duration_sum += seconds
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.bucket_counts[index] += 1
                    break
            else:
                self.bucket_counts[-1] += 1

    def text(self):
        with self.lock:
            lines = ["# HELP http_requests_total Requests answered, by status code.",
                     "# TYPE http_requests_total counter"]
            for code, count in sorted(self.requests.items()):
                lines.append(f'http_requests_total{{code="{code}"}} {count}')
            lines += ["# HELP http_request_duration_seconds Arrival to response, queueing included.",
                      "# TYPE http_request_duration_seconds histogram"]
            cumulative = 0
            for bound, count in zip(BUCKETS + ["+Inf"], self.bucket_counts):
                cumulative += count
                lines.append(f'http_request_duration_seconds_bucket{{le="{bound}"}} {cumulative}')
            lines.append(f"http_request_duration_seconds_sum {self.duration_sum}")
            lines.append(f"http_request_duration_seconds_count {cumulative}")
            lines += ["# TYPE app_inflight_requests gauge", f"app_inflight_requests {self.inflight}",
                      "# TYPE app_queue_length gauge", f"app_queue_length {self.queued}"]
        return "\n".join(lines) + "\n"


def burn(work_seconds):
    start = time.thread_time()
    while time.thread_time() - start < work_seconds:
        pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--work-ms", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--queue", type=int, default=100)
    options = parser.parse_args()
    metrics = Metrics()
    pool = ThreadPoolExecutor(options.workers)
    slots = asyncio.Semaphore(options.workers)
    loop = asyncio.get_running_loop()

    async def respond(writer, status, body, content_type="text/plain"):
        reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()

    async def handle(reader, writer):
        arrived = time.monotonic()
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ", 2)[1].decode()
            if path == "/metrics":
                await respond(writer, 200, metrics.text().encode(), "text/plain; version=0.0.4")
            elif path.startswith("/buy"):
                if metrics.queued >= options.queue:
                    await respond(writer, 503, b"sold out of capacity\n")
                    metrics.observe("503", time.monotonic() - arrived)
                else:
                    metrics.queued += 1
                    metrics.inflight += 1
                    try:
                        async with slots:
                            metrics.queued -= 1
                            await loop.run_in_executor(pool, burn, options.work_ms / 1000)
                    finally:
                        metrics.inflight -= 1
                    await respond(writer, 200, b"ordered\n")
                    metrics.observe("200", time.monotonic() - arrived)
            else:
                await respond(writer, 404, b"not found\n")
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", options.port, backlog=1024)
    print(f"shop backend on 127.0.0.1:{options.port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
