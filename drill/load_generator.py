#!/usr/bin/env python3
"""An open-loop load generator: requests arrive as a Poisson process whose rate follows a
schedule, whether or not earlier ones were answered (a closed loop such as wrk would slow down
with the shop and hide the overload). Every request is a new connection, as new customers are.

Usage: load_generator.py URL SCHEDULE TIMELINE.json
SCHEDULE: comma-separated phases NAME:SECONDS:RATE or NAME:SECONDS:FROM-TO (a linear ramp),
e.g. calm:40:30,warmup:15:30-110,sale:20:250,calm:30:30. TIMELINE.json gets each phase's start
and end (Unix seconds) and the requests sent and answered by status.
"""
import asyncio
import json
import random
import sys
import time
from urllib.parse import urlparse


def parse_schedule(text):
    phases = []
    for part in text.split(","):
        name, seconds, rate = part.split(":")
        low, _, high = rate.partition("-")
        phases.append((name, float(seconds), float(low), float(high or low)))
    return phases


async def one_request(host, port, path, counts):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
        status = status_line.split(b" ")[1].decode() if status_line else "none"
        await asyncio.wait_for(reader.read(), 5)
        writer.close()
    except (asyncio.TimeoutError, OSError, IndexError):
        status = "failed"
    counts[status] = counts.get(status, 0) + 1


async def main():
    url, schedule, timeline_path = sys.argv[1], parse_schedule(sys.argv[2]), sys.argv[3]
    target = urlparse(url)
    random.seed(7)
    timeline, tasks = [], set()
    for name, seconds, low, high in schedule:
        counts, sent = {}, 0
        start = time.time()
        clock = time.monotonic()
        end = clock + seconds
        next_arrival = clock
        while True:
            now = time.monotonic()
            if next_arrival >= end:
                break
            if next_arrival > now:
                await asyncio.sleep(next_arrival - now)
            rate = low + (high - low) * (next_arrival - clock) / seconds
            task = asyncio.create_task(one_request(target.hostname, target.port, target.path, counts))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
            next_arrival += random.expovariate(max(rate, 0.1))
        await asyncio.sleep(max(0, end - time.monotonic()))
        timeline.append({"phase": name, "start": start, "end": time.time(), "rate": [low, high],
                         "sent": sent, "answered": counts})
        print(f"{name}: {seconds:.0f}s at {low:.0f}-{high:.0f}/s, sent {sent}", flush=True)
    if tasks:
        await asyncio.wait(tasks, timeout=6)
    for entry in timeline:
        entry["answered"] = dict(entry["answered"])
    with open(timeline_path, "w") as out:
        json.dump(timeline, out, indent=1)


asyncio.run(main())
