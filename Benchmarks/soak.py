#!/usr/bin/env python3
"""Weeks of a shop's ticks through the whole daemon in minutes: does anything grow?

The release daemon runs TICKS ticks of the guide's config (config/shop-example.toml: the host,
an HTTP probe, a Prometheus scrape and nginx's stub_status, the built-in shop model, online
learning, alerts) at an accelerated clock (`--tick-interval`, 2 ms by default), against a shop
this script serves on 127.0.0.1. The shop is calm most of the time and breaks its SLO (p99 over
1 s, 3 % errors) for a stretch every CYCLE scrapes, after its worker pool has filled, so both
classes arrive, online learning takes its steps, and alerts open and resolve all along.

At each of 20 milestones (from the daemon's STATUS= on a real NOTIFY_SOCKET) the script reads
the daemon's RSS (split into its own anonymous memory and the file pages of the program and its
libraries), threads and open descriptors from /proc/PID, and the database's size on disk.
A daemon that leaks shows it as a climb over the second half of the run, when the window, the
learner's replay buffer and SQLite's page cache are long full. Per-tick CPU (`cpu_us` of
`--tick-output json`) is reported per fifth of the run: a cost that grows with the stored
history would show there.

The shop's counters advance by a tick's worth per scrape, so its rates read thousands of times a
real shop's per second (ticks 2 ms apart): the model's p is not the figure here, the resources
are. The wall clock does not follow the accelerated ticks, so retention (30 days of wall time) prunes
nothing here: the database grows by what every tick stores, and the figure per tick says how
large the 30 days that retention keeps are. The daily record, counted in ticks under
--tick-interval, is written every 8,640 ticks, as on a host.

Peer, after the daemon: prometheus-node-exporter with the collectors that read what surgewatch
reads, scraped a tenth as many times (--peer-scrapes), its RSS at the same 20 milestones.

With --reloads N the script sends N SIGHUPs spread over the run, each after rewriting the config
between two versions whose probe timeouts differ, so every reload builds a new pipeline, recalls
online learning's memory from the stored ticks and rebuilds the sources, as `systemctl reload`
does: what an operator's config management costs over a month.

Usage: Benchmarks/soak.py [--ticks 259200] [--interval 2ms] [--cycle 720] [--reloads N] [--peer-scrapes N] [--json]
"""
import argparse, http.server, json, os, re, shutil, signal, socket, sqlite3, statistics, subprocess, tempfile, threading, time, urllib.request

from benchproc import EQUIVALENT, ROOT, build_release, node_exporter, node_exporter_binary, proc_status, release_binary

BINARY = release_binary()
BUCKETS = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5]


class Shop:
    """Counters a shop's exporter would show, advanced by one tick's worth at each scrape."""

    def __init__(self, cycle):
        self.cycle, self.scrapes, self.lock = cycle, 0, threading.Lock()
        self.ok = self.errors = self.handled = 0
        self.buckets = [0] * len(BUCKETS)
        self.count, self.seconds = 0, 0.0

    def phase(self):
        """0 calm, 1 the pool filling before the breach, 2 the breach."""
        at = self.scrapes % self.cycle
        breach = self.cycle - self.cycle // 12
        return 2 if at >= breach else 1 if at >= breach - self.cycle // 24 else 0

    def scrape(self):
        with self.lock:
            self.scrapes += 1
            phase = self.phase()
            requests = (1000, 2500, 3000)[phase]
            errors = (0, 10, 90)[phase]
            slow = (0, 5, 60)[phase]  # requests over 1 s: at 3,000 a tick, 60 put p99 past it
            self.ok += requests - errors
            self.errors += errors
            self.handled += requests
            fast = requests - slow
            # Cumulative buckets: the fast requests take 80 ms, the slow ones 1.8 s.
            for i, bound in enumerate(BUCKETS):
                self.buckets[i] += (fast if bound >= 0.1 else 0) + (slow if bound >= 2.5 else 0)
            self.count += requests
            self.seconds += fast * 0.08 + slow * 1.8
            busy = (20, 55, 64)[phase]
            lines = ["# TYPE http_requests_total counter",
                     f'http_requests_total{{code="200"}} {self.ok}',
                     f'http_requests_total{{code="500"}} {self.errors}',
                     "# TYPE http_request_duration_seconds histogram"]
            lines += [f'http_request_duration_seconds_bucket{{le="{b}"}} {n}' for b, n in zip(BUCKETS, self.buckets)]
            lines += [f'http_request_duration_seconds_bucket{{le="+Inf"}} {self.count}',
                      f"http_request_duration_seconds_sum {self.seconds:.3f}",
                      f"http_request_duration_seconds_count {self.count}",
                      "# TYPE app_workers_busy gauge", f"app_workers_busy {busy}",
                      "# TYPE app_workers_max gauge", "app_workers_max 64"]
            return "\n".join(lines) + "\n"

    def stub_status(self):
        with self.lock:
            active = (40, 120, 300)[self.phase()]
            return (f"Active connections: {active} \nserver accepts handled requests\n"
                    f" {self.handled} {self.handled} {self.handled} \n"
                    f"Reading: 0 Writing: {active // 4} Waiting: {active - active // 4} \n")


def serve(shop):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers and body wait out a 40 ms delayed ACK

        def do_GET(self):
            body = {"/metrics": shop.scrape, "/nginx_status": shop.stub_status}.get(self.path, lambda: "ok\n")().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def config_text(port):
    with open(os.path.join(ROOT, "config/shop-example.toml")) as f:
        text = f.read()
    replaced = text.replace("http://127.0.0.1:8080/", f"http://127.0.0.1:{port}/").replace("http://127.0.0.1/nginx_status", f"http://127.0.0.1:{port}/nginx_status")
    if replaced.count(f":{port}/") != 3:
        raise SystemExit("config/shop-example.toml no longer has the three URLs this script points at its shop")
    return replaced


def status_fields(pid):
    status = proc_status(pid)
    fields = {key: status.get(key) for key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads")}
    fields["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return fields


def database_bytes(state):
    return sum(os.path.getsize(os.path.join(state, name)) for name in os.listdir(state)
               if name.startswith("surgewatch.db"))


def reloaded_variant(text):
    """The config with the probe's timeout set: a reload to it rebuilds the sources too."""
    probe = re.search(r"^url = \"http://127.0.0.1:\d+/health\"$", text, re.M)
    if not probe:
        raise SystemExit("no probe url line to add a timeout after")
    return text[:probe.end()] + '\ntimeout = "1s"' + text[probe.end():]


def run(ticks, interval, cycle, keep, reloads):
    work = tempfile.mkdtemp(prefix="surgewatch-soak.")
    shop = Shop(cycle)
    server = serve(shop)
    state = os.path.join(work, "state")
    config = os.path.join(work, "shop.toml")
    variants = [config_text(server.server_address[1])]
    variants.append(reloaded_variant(variants[0]))
    with open(config, "w") as f:
        f.write(variants[0])
    reload_at = [ticks * i // (reloads + 1) for i in range(1, reloads + 1)]
    signalled = []
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(os.path.join(work, "notify"))
    notify.settimeout(0.5)
    # The last one a tick early: the daemon's STATUS= of its last tick arrives as it shuts down.
    milestones = [ticks * i // 20 for i in range(1, 20)] + [ticks - 1]
    readings, cpu = [], []
    process = subprocess.Popen([BINARY, "run", "--config", config, "--state-dir", state, "--tick-interval", interval,
                                "--max-ticks", str(ticks), "--tick-output", "json", "--log-target", "stderr",
                                "--log-level", "info"],
                               stdout=subprocess.PIPE, stderr=open(os.path.join(work, "log"), "w"), text=True,
                               env=dict(os.environ, NOTIFY_SOCKET=os.path.join(work, "notify"), WATCHDOG_USEC="60000000"))

    def read_ticks():
        for line in process.stdout:
            cpu.append(json.loads(line)["cpu_us"])
    reader = threading.Thread(target=read_ticks)
    reader.start()
    started = time.monotonic()
    while milestones and process.poll() is None:
        try:
            message = notify.recv(4096).decode()
        except socket.timeout:
            continue
        match = re.search(r"STATUS=tick (\d+)", message)
        if match and reload_at and int(match.group(1)) >= reload_at[0]:
            reload_at.pop(0)
            with open(config + ".new", "w") as f:
                f.write(variants[(len(signalled) + 1) % 2])
            os.replace(config + ".new", config)
            process.send_signal(signal.SIGHUP)
            signalled.append(int(match.group(1)))
        if match and int(match.group(1)) >= milestones[0]:
            tick = int(match.group(1))
            while milestones and tick >= milestones[0]:
                milestones.pop(0)
            try:
                readings.append(dict(status_fields(process.pid), tick=tick, db_bytes=database_bytes(state),
                                     seconds=round(time.monotonic() - started, 1)))
            except FileNotFoundError:
                break
    notify.settimeout(None)
    notify.setblocking(False)
    while process.poll() is None:  # keep draining: sd_notify blocks once the queue is full
        try:
            while notify.recv(4096):
                pass
        except BlockingIOError:
            time.sleep(0.01)
    reader.join()
    elapsed = time.monotonic() - started
    server.shutdown()
    with open(os.path.join(work, "log")) as f:
        log = f.read()
    if process.returncode != 0:
        raise SystemExit(f"surgewatch exited with {process.returncode}; its log is in {work}/log")
    database = sqlite3.connect(os.path.join(state, "surgewatch.db"))
    alerts = dict(database.execute("SELECT kind, count(*) FROM alerts GROUP BY kind").fetchall())
    checkpoints = database.execute("SELECT count(*) FROM checkpoints").fetchone()[0]
    stored = database.execute("SELECT count(*) FROM samples").fetchone()[0]
    database.close()
    steps = [int(m) for m in re.findall(r"checkpoint saved after (\d+) learning steps", log)]
    # A reload applies before the next tick that finds it; its CPU is in that tick's cpu_us.
    reload_cpu = [max(cpu[t:t + 20]) for t in signalled if t < len(cpu)]
    fifths = [statistics.median(cpu[1 + i * (len(cpu) - 1) // 5:1 + (i + 1) * (len(cpu) - 1) // 5]) for i in range(5)]
    result = {"ticks": len(cpu), "interval": interval, "seconds": round(elapsed, 1), "scrapes": shop.scrapes,
              "learning_steps": max(steps, default=0), "rollbacks": len(re.findall(r"rolled back", log)),
              "alerts": alerts, "checkpoints": checkpoints, "stored_samples": stored,
              "daily_records": len(re.findall(r"record over the last day", log)),
              "daily_record_ticks": sorted(set(int(n) for n in re.findall(r"record over the last day \((\d+) ticks\)", log))),
              # Overruns are the accelerated clock's (a tick's sources take longer than 2 ms), and
              # the alerts go to stderr for want of a journald: neither is counted here.
              "overruns": len(re.findall(r"overran the", log)),
              "warnings": [line for line in log.splitlines() if re.search(r" (warning|error|critical) ", line)
                           and "overran the" not in line and "journald is not listening" not in line],
              "reloads_signalled": len(signalled),
              "reloads_applied": len(re.findall(r"configuration reloaded: .*sources rebuilt", log)),
              "reload_cpu_us_median": statistics.median(reload_cpu) if reload_cpu else None,
              "reload_cpu_us_max": max(reload_cpu, default=None),
              "cpu_us_median_by_fifth": fifths, "readings": readings}
    if keep:
        result["work"] = work
    else:
        shutil.rmtree(work, ignore_errors=True)
    return result


def run_peer(scrapes):
    """prometheus-node-exporter with the collectors that read what surgewatch reads, scraped
    `scrapes` times over loopback: its RSS at 20 milestones, as the daemon's."""
    with node_exporter(EQUIVALENT) as (process, url):
        milestones = {scrapes * i // 20 for i in range(1, 21)}
        readings, started = [], time.monotonic()
        for scrape in range(1, scrapes + 1):
            urllib.request.urlopen(url, timeout=5).read()
            if scrape in milestones:
                readings.append(dict(status_fields(process.pid), scrape=scrape, seconds=round(time.monotonic() - started, 1)))
        return readings


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticks", type=int, default=259200, help="default: 30 days of 10 s ticks")
    parser.add_argument("--interval", default="2ms", help="the daemon's --tick-interval")
    parser.add_argument("--cycle", type=int, default=720, help="scrapes from one breach to the next (720: two hours of 10 s ticks)")
    parser.add_argument("--reloads", type=int, default=0,
                        help="SIGHUPs spread over the run, each to a config whose sources differ from the last (default 0)")
    parser.add_argument("--peer-scrapes", type=int, help="scrapes of the peer, node_exporter (default: a tenth of the ticks; 0: none)")
    parser.add_argument("--no-build", action="store_true", help="use the release binary already built")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory (config, state, log)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        build_release()
    if args.peer_scrapes != 0:
        node_exporter_binary()  # before the daemon's minutes, not after
    result = run(args.ticks, args.interval, args.cycle, args.keep, args.reloads)
    peer_scrapes = args.ticks // 10 if args.peer_scrapes is None else args.peer_scrapes
    result["peer"] = run_peer(peer_scrapes) if peer_scrapes > 0 else []
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['ticks']} ticks at {result['interval']} in {result['seconds']} s, {result['scrapes']} scrapes of the shop; "
          f"{result['learning_steps']} learning steps, {result['rollbacks']} rollbacks, {result['checkpoints']} checkpoints, "
          f"alerts {result['alerts']}, {result['stored_samples']} samples stored, {result['daily_records']} daily records "
          f"(each over {', '.join(map(str, result['daily_record_ticks']))} ticks), "
          f"{result['overruns']} overruns of the accelerated interval, {len(result['warnings'])} other log lines at warning or above")
    for line in result["warnings"][:10]:
        print("  " + line)
    if result["reloads_signalled"]:
        print(f"{result['reloads_signalled']} reloads signalled, {result['reloads_applied']} applied with their sources rebuilt; "
              f"CPU of the tick that applied one: median {result['reload_cpu_us_median']} µs, at most {result['reload_cpu_us_max']} µs")
    print("CPU per tick, median by fifth of the run (µs): " + ", ".join(f"{v:.0f}" for v in result["cpu_us_median_by_fifth"]))
    # RSS = anonymous (the process's own memory) + file pages (the program and its libraries,
    # clean: shared with the page cache, dropped and read again under memory pressure).
    print(f"{'tick':>8} {'seconds':>8} {'RSS KiB':>8} {'anon KiB':>8} {'file KiB':>8} {'peak KiB':>8} {'threads':>7} {'fds':>4} {'database bytes':>15}")
    for r in result["readings"]:
        print(f"{r['tick']:>8} {r['seconds']:>8} {r['VmRSS']:>8} {r['RssAnon']:>8} {r['RssFile']:>8} {r['VmHWM']:>8} {r['Threads']:>7} {r['fds']:>4} {r['db_bytes']:>15}")
    if result["peer"]:
        print("node_exporter, equivalent collectors: RSS KiB at scrape " +
              ", ".join(f"{r['scrape']}: {r['VmRSS']} ({r['RssAnon']} anon)" for r in result["peer"][::4] + result["peer"][-1:]) +
              f"; peak {result['peer'][-1]['VmHWM']} KiB, threads {result['peer'][-1]['Threads']}")
    half = [r for r in result["readings"] if r["tick"] >= result["ticks"] // 2]
    if len(half) >= 2:
        first, last = half[0], half[-1]
        per_tick = (last["db_bytes"] - first["db_bytes"]) / max(1, last["tick"] - first["tick"])
        print(f"second half: RSS {first['VmRSS']} -> {last['VmRSS']} KiB ({last['VmRSS'] - first['VmRSS']:+d}), "
              f"threads {first['Threads']} -> {last['Threads']}, fds {first['fds']} -> {last['fds']}, "
              f"database {per_tick:.0f} bytes per tick")


if __name__ == "__main__":
    main()
