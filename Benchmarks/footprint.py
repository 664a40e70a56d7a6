#!/usr/bin/env python3
"""Footprint of the surgewatch daemon beside prometheus-node-exporter, measured in one run.

surgewatch: the release binary runs TICKS ticks at a 1 ms interval (an accelerated clock) with
the shipped config; its RSS is read from /proc/PID/status whenever its STATUS= (received on a
real NOTIFY_SOCKET) reaches a milestone, and its CPU time comes from wait4(). Start-up cost is
taken out by a 1-tick run.

node_exporter: started on 127.0.0.1 and scraped SCRAPES times over loopback; CPU per scrape
from /proc/PID/stat, RSS after. Once with its default collectors, once with only those that
read what surgewatch reads (cpu, stat, loadavg, meminfo, pressure, netdev, sockstat, netstat,
diskstats).

The release build is the one scripts/install ships: static Swift runtime, no Foundation.
surgewatch-bench host (one sampling tick in-process, thread CPU time) runs in the same go.

Usage: Benchmarks/footprint.py [--ticks 10000] [--scrapes 300] [--json]
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

from benchproc import EQUIVALENT, ROOT, build_release, cpu_seconds, node_exporter, node_exporter_binary, proc_status, release_binary


def run_daemon(ticks, milestones):
    state = tempfile.mkdtemp(prefix="surgewatch-bench-")
    sock_path = f"/tmp/sw-bench-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    sock.bind(sock_path)
    sock.settimeout(0.5)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    cmd = [release_binary(), "run", "--config", f"{ROOT}/config/surgewatch.toml",
           "--state-dir", state, "--tick-interval", "1ms", "--max-ticks", str(ticks),
           "--tick-output", "none", "--log-level", "warning"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    reaped = []

    def exited():
        # wait4 rather than Popen.poll, which would reap the child and lose its rusage.
        if not reaped:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                reaped.append((status, usage))
        return bool(reaped)

    rss = {}
    pending = sorted(milestones)
    while pending:
        try:
            message = sock.recv(4096).decode()
        except socket.timeout:
            if exited():
                break
            continue
        for line in message.split("\n"):
            if line.startswith("STATUS=tick "):
                tick = int(line.split()[1])
                while pending and tick >= pending[0]:
                    try:
                        rss[pending.pop(0)] = proc_status(proc.pid).get("VmRSS")
                    except FileNotFoundError:
                        pending.clear()
    hwm = None
    sock.setblocking(False)
    while not exited():
        try:
            hwm = proc_status(proc.pid).get("VmHWM") or hwm
        except FileNotFoundError:
            break
        # Keep draining: sd_notify blocks once the listener's datagram queue is full.
        try:
            while sock.recv(4096):
                pass
        except BlockingIOError:
            pass
        time.sleep(0.002)
    status, usage = reaped[0]
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - start
    sock.close()
    os.unlink(sock_path)
    shutil.rmtree(state, ignore_errors=True)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"surgewatch exited with {status}")
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "rss_kib": rss, "hwm_kib": hwm, "elapsed_s": elapsed}


def run_node_exporter(scrapes, collectors):
    with node_exporter(collectors) as (process, url):
        for _ in range(5):
            urllib.request.urlopen(url, timeout=5).read()
        before = cpu_seconds(process.pid)
        size = 0
        for _ in range(scrapes):
            size = len(urllib.request.urlopen(url, timeout=5).read())
        after = cpu_seconds(process.pid)
        status = proc_status(process.pid)
        return {"cpu_us_per_scrape": (after - before) / scrapes * 1e6,
                "rss_kib": status.get("VmRSS"), "hwm_kib": status.get("VmHWM"), "bytes_per_scrape": size}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticks", type=int, default=10000)
    parser.add_argument("--scrapes", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    node_exporter_binary()

    for product in ("surgewatch", "surgewatch-bench"):
        build_release(product)
    sampling = json.loads(subprocess.run([release_binary("surgewatch-bench"), "host", "--json"],
                                         check=True, capture_output=True, text=True).stdout)
    milestones = [m for m in (100, 1000, 2500, 5000, 7500, 10000, 20000, 30000, 50000) if m <= args.ticks]
    baseline = run_daemon(1, [1])
    daemon = run_daemon(args.ticks, milestones)
    per_tick_us = (daemon["cpu_s"] - baseline["cpu_s"]) / (args.ticks - 1) * 1e6
    node_default = run_node_exporter(args.scrapes, None)
    node_equivalent = run_node_exporter(args.scrapes, EQUIVALENT)
    result = {
        "sampling_tick": {k: sampling[k] for k in ("cpu_us_median", "cpu_us_p10", "cpu_us_p99", "metrics")},
        "surgewatch": {"ticks": args.ticks, "cpu_us_per_tick": round(per_tick_us, 1),
                       "rss_kib_at_tick": daemon["rss_kib"], "hwm_kib": daemon["hwm_kib"],
                       "startup_cpu_ms": round(baseline["cpu_s"] * 1e3, 1)},
        "node_exporter_default": {k: round(v, 1) if isinstance(v, float) else v for k, v in node_default.items()},
        "node_exporter_equivalent": {k: round(v, 1) if isinstance(v, float) else v for k, v in node_equivalent.items()},
    }
    if args.json:
        print(json.dumps(result))
        return
    t = result["sampling_tick"]
    print(f"one host-sampling tick ({t['metrics']} metrics): CPU median {t['cpu_us_median']} µs, "
          f"p10 {t['cpu_us_p10']} µs, p99 {t['cpu_us_p99']} µs")
    s = result["surgewatch"]
    print(f"surgewatch daemon, {args.ticks} ticks at 1 ms: {s['cpu_us_per_tick']} µs CPU per tick "
          f"(start-up {s['startup_cpu_ms']} ms); RSS KiB at tick " +
          ", ".join(f"{t}: {r}" for t, r in s["rss_kib_at_tick"].items()) + f"; peak {s['hwm_kib']} KiB")
    for name in ("node_exporter_default", "node_exporter_equivalent"):
        n = result[name]
        print(f"{name}: {n['cpu_us_per_scrape']} µs CPU per scrape, RSS {n['rss_kib']} KiB "
              f"(peak {n['hwm_kib']}), {n['bytes_per_scrape']} bytes per scrape")


if __name__ == "__main__":
    main()
