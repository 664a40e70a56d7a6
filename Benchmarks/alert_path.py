#!/usr/bin/env python3
"""How long an alert takes from the tick that fires it to an Alertmanager's receiver, by each way
surgewatch offers, measured side by side on the same alerts.

One surgewatch (release build) watches a gauge that this script turns on for ON seconds and off
for OFF to OFF + 30 seconds (drawn with a fixed seed, so the alerts fall at every phase of the
scrape and evaluation intervals rather than at one), CYCLES times, under the rule `flag > 0`:
each "on" fires a breached alert, each "off" resolves it. The alert goes out three ways at once, all to one real Alertmanager whose
webhook receiver is this script (arrival times taken as each POST comes in):
  direct          `[alertmanager]`: surgewatch posts it itself
  prometheus-15s  `[prometheus] textfile` -> node_exporter's textfile collector -> Prometheus
                  scraping and evaluating config/prometheus-alerts.yml every 15 s (the example
                  prometheus.yml's intervals) -> Alertmanager
  prometheus-1m   the same with Prometheus' built-in defaults, 1 m and 1 m
The Alertmanager groups nothing and waits 0 s, so the figures are the paths' own. The delay of
an alert is the first "firing" notification's arrival minus the alert's `fired_at` in
surgewatch's database (the tick's time).

Usage: Benchmarks/alert_path.py [--cycles 8] [--on 150] [--off 120] [--seed 1]
"""
import argparse, http.server, json, os, random, sqlite3, statistics, subprocess, tempfile, threading, time

from benchproc import ROOT, build_release, free_port, node_exporter_binary, test_tool, wait_for

state = {"on": False, "received": []}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = f"# TYPE load_flag gauge\nload_flag {1 if state['on'] else 0}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        arrived = time.time()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            state["received"].append((arrived, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def alertmanager(work, port, hook):
    with open(f"{work}/alertmanager.yml", "w") as f:
        f.write(f"""route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: {hook}
        send_resolved: true
""")
    binary = test_tool("usr/bin/prometheus-alertmanager", "prometheus-alertmanager")
    arguments = [f"--config.file={work}/alertmanager.yml", f"--storage.path={work}/am", f"--web.listen-address=127.0.0.1:{port}",
                 "--cluster.listen-address="]
    if os.path.exists("/usr/share/prometheus/alertmanager/default.tmpl"):
        command = [binary] + arguments
    else:
        # An unpacked Debian package: its build reads the default template under /usr/share.
        share = os.path.dirname(os.path.dirname(binary)) + "/share"
        command = ["unshare", "--mount", "sh", "-c", f'mount -t overlay overlay -o lowerdir={share}:/usr/share /usr/share && exec "$0" "$@"',
                   binary] + arguments
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prometheus(work, name, interval, exporter, alertmanager_port):
    directory = f"{work}/{name}"
    os.makedirs(directory)
    with open(f"{directory}/prometheus.yml", "w") as f:
        f.write(f"""global:
  scrape_interval: {interval}
  evaluation_interval: {interval}
  external_labels: {{path: {name}}}
rule_files: ["{ROOT}/config/prometheus-alerts.yml"]
alerting:
  alertmanagers:
    - static_configs: [{{targets: ["127.0.0.1:{alertmanager_port}"]}}]
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ["{exporter}"]}}]
""")
    port = free_port()
    return subprocess.Popen([test_tool("usr/bin/prometheus", "prometheus"), f"--config.file={directory}/prometheus.yml",
                             f"--storage.tsdb.path={directory}/data", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--on", type=float, default=150)
    parser.add_argument("--off", type=float, default=120)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    binary = build_release()
    work = tempfile.mkdtemp(prefix="surgewatch-alert-path.")
    children = []
    server_port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", server_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        am_port, exporter_port = free_port(), free_port()
        children.append(alertmanager(work, am_port, f"http://127.0.0.1:{server_port}/hook"))
        wait_for(f"http://127.0.0.1:{am_port}/-/ready", attempts=200)
        os.makedirs(f"{work}/textfile")
        children.append(subprocess.Popen([node_exporter_binary(), f"--web.listen-address=127.0.0.1:{exporter_port}",
                                          "--collector.disable-defaults", "--collector.textfile",
                                          f"--collector.textfile.directory={work}/textfile"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for name, interval in [("prometheus-15s", "15s"), ("prometheus-1m", "1m")]:
            children.append(prometheus(work, name, interval, f"127.0.0.1:{exporter_port}", am_port))
        with open(f"{work}/surgewatch.toml", "w") as f:
            f.write(f"""[sampling]
interval = "10s"
[window]
ticks = 3
[model]
features = ["flag"]
horizon_ticks = 1
[overload]
any = ["flag > 0"]
[[sources.prometheus]]
url = "http://127.0.0.1:{server_port}/metrics"
[sources.prometheus.metrics]
flag = 'gauge(load_flag)'
[prometheus]
textfile = "{work}/textfile/surgewatch.prom"
[alertmanager]
urls = ["http://127.0.0.1:{am_port}"]
labels = {{ path = "direct" }}
""")
        daemon = subprocess.Popen([binary, "run", "--config", f"{work}/surgewatch.toml", "--state-dir", f"{work}/state",
                                   "--tick-output", "none", "--log-target", "stderr"],
                                  stdout=subprocess.DEVNULL, stderr=open(f"{work}/daemon.log", "w"))
        children.append(daemon)
        time.sleep(90)  # Prometheus' first scrapes and rule evaluations, before the first alert
        draw = random.Random(options.seed)
        for cycle in range(options.cycles):
            state["on"] = True
            time.sleep(options.on)
            state["on"] = False
            time.sleep(options.off + draw.uniform(0, 30))
            print(f"cycle {cycle + 1} of {options.cycles} done", flush=True)
        time.sleep(5)
        fired = [row[0] for row in sqlite3.connect(f"{work}/state/surgewatch.db").execute(
            "SELECT fired_at FROM alerts WHERE kind = 'breached' ORDER BY fired_at")]
        delays = {"direct": [], "prometheus-15s": [], "prometheus-1m": []}
        with lock:
            received = list(state["received"])
        for index, start in enumerate(fired):
            end = fired[index + 1] if index + 1 < len(fired) else float("inf")
            for path in delays:
                arrivals = [arrived for arrived, body in received if start <= arrived < end and any(
                    alert["status"] == "firing" and alert["labels"].get("path") == path and alert["labels"].get("alertname") == "OverloadBreached"
                    for alert in body["alerts"])]
                if arrivals:
                    delays[path].append(min(arrivals) - start)
        print(f"{len(fired)} alerts fired (10 s ticks); from the tick that fired each to the Alertmanager's receiver:")
        for path, values in delays.items():
            if values:
                print(f"  {path:15} {len(values)} received, median {statistics.median(values):.3f} s, "
                      f"min {min(values):.3f} s, max {max(values):.3f} s: " + ", ".join(f"{v:.3f}" for v in values))
            else:
                print(f"  {path:15} none received")
    finally:
        for child in reversed(children):
            child.terminate()
            child.wait()
        server.shutdown()


if __name__ == "__main__":
    main()
