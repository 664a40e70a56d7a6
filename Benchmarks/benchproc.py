"""What the benchmark scripts share: the release build, a process's CPU time and memory from
/proc, waiting for a local HTTP endpoint to answer before measuring it, and the peer
(prometheus-node-exporter) started on a free loopback port."""
import contextlib, os, shutil, socket, subprocess, time, urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# node_exporter's collectors that read what surgewatch's host sampling reads: the fair peer.
EQUIVALENT = ["cpu", "stat", "loadavg", "meminfo", "pressure", "netdev", "sockstat", "netstat", "diskstats"]


def release_binary(product="surgewatch"):
    """Where `build_release` leaves `product`."""
    return os.path.join(ROOT, ".build/release", product)


def build_release(product="surgewatch"):
    """The release build that scripts/install ships: static Swift runtime, this CPU's flags.
    Every script builds so, or one script's build would replace the binary another measures.
    Returns the binary's path."""
    flags = subprocess.run([f"{ROOT}/scripts/swift-cpu-flags"], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", product] + flags,
                   cwd=ROOT, check=True, capture_output=True)
    return release_binary(product)


def cpu_seconds(pid):
    """User + system CPU seconds of `pid` so far (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid):
    """/proc/PID/status as numbers where a field has one (VmRSS, RssAnon, RssFile and VmHWM in
    KiB, Threads)."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            words = value.split()
            if words and words[0].isdigit():
                fields[key] = int(words[0])
    return fields


def test_tool(relative, package):
    """A program scripts/test-tools provides (`relative` as usr/sbin/nginx): on PATH or
    installed, else where that script unpacked it; exits with how to get it, so a run does not
    spend its minutes on surgewatch and then fail at the peer."""
    unpacked = f"{ROOT}/.build/test-tools/{relative}"
    binary = shutil.which(os.path.basename(relative)) or (unpacked if os.access(unpacked, os.X_OK) else f"/{relative}")
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{package} is missing: scripts/test-tools unpacks it, or apt-get install -y {package}")
    return binary


def free_port():
    """A loopback port nothing listens on now, for a server the script starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_exporter_binary():
    return test_tool("usr/bin/prometheus-node-exporter", "prometheus-node-exporter")


@contextlib.contextmanager
def node_exporter(collectors=None):
    """node_exporter on a free loopback port, with only `collectors` when given; yields its
    process and metrics URL once it answers, and stops it after."""
    port = free_port()
    command = [node_exporter_binary(), f"--web.listen-address=127.0.0.1:{port}"]
    if collectors:
        command += ["--collector.disable-defaults"] + [f"--collector.{c}" for c in collectors]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_for(url, pause=0.05, timeout=2)
        yield process, url
    finally:
        process.terminate()
        process.wait()


def wait_for(url, attempts=100, pause=0.1, timeout=1):
    """Returns once `url` answers; exits the script if it never does."""
    for _ in range(attempts):
        try:
            urllib.request.urlopen(url, timeout=timeout).read()
            return
        except OSError:
            time.sleep(pause)
    raise SystemExit(f"{url} did not come up")
