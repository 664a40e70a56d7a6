#!/usr/bin/env python3
"""Per-tick cost of the application sources, beside a peer, measured in one run.

surgewatch (release build) runs TICKS ticks at a 20 ms interval (the accelerated clock of
`--tick-interval`) twice per round: with the host source alone, and with every source on (host,
an HTTP probe, nginx stub_status, a Prometheus scrape of the drill's shop backend with four
queries, and a cgroup unit from the test fixtures). CPU time comes from wait4(), so the
difference over TICKS is what the application sources cost per tick; peak RSS from the same.
Start-up (loading the model, opening the database) is taken out with a 1-tick run of each config.

Peer: prometheus-nginx-exporter (Debian), the usual way to get nginx's stub_status into
Prometheus, scraped TICKS times over loopback; its CPU per scrape from /proc/PID/stat. It reads
one of the four endpoints surgewatch reads.

Usage: Benchmarks/sources.py [--ticks 1000] [--rounds 3]
"""
import argparse, os, shutil, statistics, subprocess, tempfile, urllib.request

from benchproc import ROOT, build_release, cpu_seconds, free_port, test_tool, wait_for


def run_daemon(binary, work, config_text, ticks):
    config = os.path.join(work, "bench.toml")
    with open(config, "w") as f:
        f.write(config_text)
    state = tempfile.mkdtemp(dir=work)
    process = subprocess.Popen([binary, "run", "--config", config, "--state-dir", state, "--tick-interval", "20ms",
                                "--max-ticks", str(ticks), "--tick-output", "none", "--log-target", "stderr"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.stderr.read()
    if status != 0:
        raise SystemExit(f"surgewatch exited with {status}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    nginx = test_tool("usr/sbin/nginx", "nginx")
    binary = build_release()
    work = tempfile.mkdtemp(prefix="surgewatch-sources-bench.")
    children = []
    try:
        backend, web, exporter_port = free_port(), free_port(), free_port()
        children.append(subprocess.Popen(["python3", f"{ROOT}/drill/shop_backend.py", str(backend)], stdout=subprocess.DEVNULL))
        with open(f"{ROOT}/drill/nginx.conf") as f:
            conf = f.read().replace("@WORK@", work).replace("@NGINX_PORT@", str(web)).replace("@BACKEND_PORT@", str(backend))
        with open(f"{work}/nginx.conf", "w") as f:
            f.write(conf)
        subprocess.run([nginx, "-c", f"{work}/nginx.conf"], check=True)
        wait_for(f"http://127.0.0.1:{web}/nginx_status")
        wait_for(f"http://127.0.0.1:{backend}/metrics")
        host_only = '[sampling]\ninterval = "1s"\n'
        every = host_only + f'''cgroup_root = "{ROOT}/Tests/SurgeSourcesTests/Fixtures/cgroup-v2/t0"
[[sources.probe]]
url = "http://127.0.0.1:{web}/nginx_status"
timeout = "15ms"
[[sources.nginx]]
url = "http://127.0.0.1:{web}/nginx_status"
timeout = "15ms"
[[sources.prometheus]]
url = "http://127.0.0.1:{backend}/metrics"
timeout = "15ms"
[sources.prometheus.metrics]
http_rps = 'rate(http_requests_total)'
http_error_ratio = 'ratio(rate(http_requests_total{{code="503"}}), rate(http_requests_total))'
http_p99_ms = 'histogram_quantile(0.99, http_request_duration_seconds) * 1000'
app_inflight = 'gauge(app_inflight_requests)'
[[sources.cgroup]]
unit = "shop.service"
'''
        exporter = None
        if shutil.which("prometheus-nginx-exporter"):
            exporter = subprocess.Popen(["prometheus-nginx-exporter", "-nginx.scrape-uri", f"http://127.0.0.1:{web}/nginx_status",
                                         "-web.listen-address", f"127.0.0.1:{exporter_port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            children.append(exporter)
            wait_for(f"http://127.0.0.1:{exporter_port}/metrics")
        rows = []
        def per_tick(config):
            start_cpu, _ = run_daemon(binary, work, config, 1)
            cpu, rss = run_daemon(binary, work, config, options.ticks)
            return (cpu - start_cpu) / (options.ticks - 1) * options.ticks, rss
        for round_number in range(1, options.rounds + 1):
            host_cpu, host_rss = per_tick(host_only)
            all_cpu, all_rss = per_tick(every)
            peer = None
            if exporter:
                before = cpu_seconds(exporter.pid)
                for _ in range(options.ticks):
                    urllib.request.urlopen(f"http://127.0.0.1:{exporter_port}/metrics", timeout=2).read()
                peer = (cpu_seconds(exporter.pid) - before) / options.ticks * 1e6
            row = {"host_us": host_cpu / options.ticks * 1e6, "all_us": all_cpu / options.ticks * 1e6,
                   "host_rss_mib": host_rss / 1024, "all_rss_mib": all_rss / 1024, "peer_us": peer}
            row["sources_us"] = row["all_us"] - row["host_us"]
            rows.append(row)
            print(f"round {round_number}: tick with host only {row['host_us']:.0f} us CPU, with every source "
                  f"{row['all_us']:.0f} us (application sources {row['sources_us']:.0f} us); peak RSS "
                  f"{row['host_rss_mib']:.1f} / {row['all_rss_mib']:.1f} MiB; nginx-prometheus-exporter "
                  + (f"{peer:.0f} us CPU per scrape" if peer is not None else "not installed"), flush=True)
        median = {key: statistics.median(r[key] for r in rows) for key in ("host_us", "all_us", "sources_us", "all_rss_mib")}
        print(f"median of {options.rounds} rounds, {options.ticks} ticks each: host only {median['host_us']:.0f} us, "
              f"every source {median['all_us']:.0f} us per tick, application sources {median['sources_us']:.0f} us, "
              f"peak RSS {median['all_rss_mib']:.1f} MiB"
              + (f"; nginx-prometheus-exporter {statistics.median(r['peer_us'] for r in rows):.0f} us per scrape" if exporter else ""))
    finally:
        for child in children:
            child.kill()
        if os.path.exists(f"{work}/nginx.pid"):
            subprocess.run(["kill", open(f"{work}/nginx.pid").read().strip()])
        shutil.rmtree(work, ignore_errors=True)


main()
