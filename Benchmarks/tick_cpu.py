#!/usr/bin/env python3
"""The daemon's whole per-tick CPU, median and tail, as the daemon itself reports it, beside a peer.

surgewatch (release build, the shipped config, the built-in model, real /proc) runs TICKS ticks
at a 100 ms interval by default (`--tick-interval`, an accelerated clock) as the unit runs it, with a
service manager's notify socket (NOTIFY_SOCKET, a datagram socket this script reads, as systemd
does) and the unit's watchdog (WATCHDOG_USEC, WatchdogSec=60s), and with `--tick-output json`: each
line's `cpu_us` is the process's CPU time since the tick before, every thread (the tick loop,
the learner, SQLite, the journal or stderr), from CLOCK_PROCESS_CPUTIME_ID. Two runs:
  calm      the shipped config on this host as it is: the rule never holds, so online learning
            has no overload windows and takes no step (what a calm shop's box pays);
  learning  the rule replaced by `cpu_busy > 0.3` while a busy loop on one core switches on and
            off every 15 s, so both classes arrive and the learner takes an Adam step every 10
            ticks from its 64th window of each class (the most online learning costs).
The daemon's own figure is checked against the kernel's: wait4()'s CPU time of the run less
that of a 1-tick run (start-up) against the sum of `cpu_us` over ticks 2..N.

Peer in the same run: prometheus-node-exporter with the collectors that read what surgewatch
reads, scraped TICKS times over loopback; CPU per scrape from /proc/PID/stat (footprint.py).

With --compare BINARY another build (say, of an earlier commit) runs the same rounds, alternated
with this one's, so both meet the same machine: it is shared, and its speed moves by the hour.

--interval sets the tick interval (100ms by default): the slower the ticks, the colder the
caches each one meets and the more it costs, so the shipped 10 s is the dearest per tick.

--textfile also runs each calm round with `[prometheus] textfile` set (a file rewritten after
every tick), alternated with the plain calm run: what the file costs. It goes in the run's
directory (under /tmp), or in --textfile-dir: /dev/shm is tmpfs, as /run is on a systemd host
where the unit's /run/surgewatch holds it (on a disk file system each create and rename costs
more).

Usage: Benchmarks/tick_cpu.py [--ticks 1000] [--rounds 3] [--interval 100ms] [--skip-learning]
       [--textfile [--textfile-dir DIR]] [--compare BINARY] [--json]
"""
import argparse, json, multiprocessing, os, re, shutil, socket, statistics, subprocess, tempfile, threading, time

from benchproc import EQUIVALENT, ROOT, build_release, node_exporter_binary, release_binary
from footprint import run_node_exporter

BUILT = release_binary()


def burn(stop, period):
    """One core busy for `period` seconds, idle for as long, until `stop` is set."""
    while not stop.is_set():
        until = time.monotonic() + period
        while time.monotonic() < until and not stop.is_set():
            pass
        stop.wait(period)


def notify_listener(path):
    """A datagram socket at `path` read continuously, as systemd reads its notify socket; returns
    the socket and a one-element list counting the datagrams received."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    received = [0]

    def drain():
        try:
            while listener.recv(4096):
                received[0] += 1
        except OSError:  # closed at the end of the run
            pass
    threading.Thread(target=drain, daemon=True).start()
    return listener, received


def run_daemon(binary, config_text, ticks, interval):
    work = tempfile.mkdtemp(prefix="surgewatch-tick-cpu.")
    listener, received = notify_listener(os.path.join(work, "notify"))
    try:
        config = os.path.join(work, "bench.toml")
        with open(config, "w") as f:
            f.write(config_text.replace("@WORK@", work))
        environment = dict(os.environ, NOTIFY_SOCKET=os.path.join(work, "notify"), WATCHDOG_USEC="60000000")
        process = subprocess.Popen([binary, "run", "--config", config, "--state-dir", os.path.join(work, "state"),
                                    "--tick-interval", interval, "--max-ticks", str(ticks), "--tick-output", "json",
                                    "--log-target", "stderr", "--log-level", "info"],
                                   stdout=subprocess.PIPE, stderr=open(os.path.join(work, "log"), "w"), text=True, env=environment)
        lines = process.stdout.read().splitlines()
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"surgewatch exited with {status}")
        with open(os.path.join(work, "log")) as f:
            # The checkpoint saved at shutdown counts the learning steps taken.
            steps = [int(m) for m in re.findall(r"checkpoint saved after (\d+) learning steps", f.read())]
        time.sleep(0.2)  # the last datagrams are read
        return [json.loads(line)["cpu_us"] for line in lines], usage.ru_utime + usage.ru_stime, max(steps, default=0), received[0]
    finally:
        listener.close()
        shutil.rmtree(work, ignore_errors=True)


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999999) - 1))]


def measure(binary, name, config_text, ticks, interval):
    _, startup_s, _, _ = run_daemon(binary, config_text, 1, interval)
    per_tick, total_s, steps, datagrams = run_daemon(binary, config_text, ticks, interval)
    later = per_tick[1:]
    return {"run": name, "ticks": len(per_tick), "learning_steps": steps, "notify_datagrams": datagrams,
            "cpu_us_median": statistics.median(later),
            "cpu_us_p90": quantile(later, 0.9), "cpu_us_p99": quantile(later, 0.99), "cpu_us_max": max(later),
            "cpu_us_mean": statistics.fmean(later),
            "kernel_cpu_us_per_tick": (total_s - startup_s) / (ticks - 1) * 1e6}


def without_table(text, table):
    """`text` without its `[table]` and the lines up to the next table."""
    start = text.find(f"\n[{table}]")
    if start < 0:
        return text
    end = text.find("\n[", start + 1)
    return text[:start] + (text[end:] if end >= 0 else "\n")


def config_all_read(binaries, text):
    """The shipped config as every build reads it. A build from before session 40 refuses the
    [prometheus] table, which with `textfile = ""` does nothing: it is left out for all builds
    alike, so they run the same config. Any other refusal stops the script with its message."""
    def refusals(candidate):
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
            f.write(candidate)
            f.flush()
            checks = [subprocess.run([b, "check-config", f.name], capture_output=True, text=True) for b in binaries.values()]
        return [c.stderr.strip() or c.stdout.strip() for c in checks if c.returncode != 0]
    if not refusals(text):
        return text
    trimmed = without_table(text, "prometheus")
    if 'textfile = ""' in text and not refusals(trimmed):
        print("note: a compared build does not know [prometheus]; every build runs without it (textfile was off)")
        return trimmed
    raise SystemExit("a build refuses the config: " + "; ".join(refusals(text)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", default="100ms", help="the tick interval (the daemon's --tick-interval): 100ms, 1s, 10s")
    parser.add_argument("--skip-learning", action="store_true", help="only the calm rounds (long intervals make the learning run long)")
    parser.add_argument("--compare", metavar="BINARY", help="another surgewatch build, measured in the same rounds")
    parser.add_argument("--textfile", action="store_true", help="each calm round also with [prometheus] textfile set")
    parser.add_argument("--textfile-dir", help="where the textfile goes (default: the run's directory)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    node_exporter_binary()
    build_release()
    binaries = {"this build": BUILT}
    if args.compare:
        binaries["compared"] = os.path.abspath(args.compare)
    with open(f"{ROOT}/config/surgewatch.toml") as f:
        shipped = f.read()
    if args.compare and not args.textfile:
        shipped = config_all_read(binaries, shipped)
    busy = shipped.replace('any = ["tcp_listen_overflows_per_s > 0", "psi_cpu_some_avg10 > 50"]', 'any = ["cpu_busy > 0.3"]')
    if busy == shipped:
        raise SystemExit("the shipped config's [overload] rule is not the one this script replaces")

    where = os.path.abspath(args.textfile_dir) if args.textfile_dir else "@WORK@"
    textfile = shipped.replace('textfile = ""', f'textfile = "{where}/surgewatch-tick-cpu.prom"')
    if args.textfile and textfile == shipped:
        raise SystemExit("the shipped config has no [prometheus] textfile line for this script to set")

    results = []
    for round in range(1, args.rounds + 1):
        for build, binary in binaries.items():
            results.append(dict(measure(binary, "calm", shipped, args.ticks, args.interval), build=build, round=round))
            if args.textfile:
                results.append(dict(measure(binary, "calm, textfile", textfile, args.ticks, args.interval), build=build, round=round))
    if not args.skip_learning:
        stop = multiprocessing.Event()
        burner = multiprocessing.Process(target=burn, args=(stop, 15.0))
        burner.start()
        try:
            for build, binary in binaries.items():
                results.append(dict(measure(binary, "learning", busy, args.ticks, args.interval), build=build, round=1))
        finally:
            stop.set()
            burner.join()
    peer = run_node_exporter(args.ticks, EQUIVALENT)
    if args.json:
        print(json.dumps({"surgewatch": results, "node_exporter_equivalent": peer}))
        return
    for r in results:
        print(f"{r['build']}, {r['run']} round {r['round']}: {r['ticks']} ticks at {args.interval}, {r['learning_steps']} learning steps, "
              f"{r['notify_datagrams']} notify datagrams: "
              f"CPU per tick median {r['cpu_us_median']} µs, p90 {r['cpu_us_p90']}, p99 {r['cpu_us_p99']}, max {r['cpu_us_max']}, "
              f"mean {r['cpu_us_mean']:.0f} µs (the kernel's wait4 less start-up: {r['kernel_cpu_us_per_tick']:.0f} µs a tick)")
    for build in binaries:
        for run in ["calm", "calm, textfile"]:
            medians = [r["cpu_us_median"] for r in results if r["build"] == build and r["run"] == run]
            if medians:
                print(f"{build}, {run}: median of the rounds' medians {statistics.median(medians)} µs ({', '.join(map(str, medians))})")
    print(f"node_exporter, equivalent collectors: {peer['cpu_us_per_scrape']:.0f} µs CPU per scrape ({args.ticks} scrapes)")


if __name__ == "__main__":
    main()
