"""What the benchmark scripts share: the release build, a process's CPU time from /proc, and
waiting for a local HTTP endpoint to answer before measuring it."""
import os, subprocess, time, urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_release(product="surgewatch"):
    """The release build that scripts/install ships: static Swift runtime, this CPU's flags."""
    flags = subprocess.run([f"{ROOT}/scripts/swift-cpu-flags"], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", product] + flags,
                   cwd=ROOT, check=True, capture_output=True)


def cpu_seconds(pid):
    """User + system CPU seconds of `pid` so far (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_for(url, attempts=100, pause=0.1, timeout=1):
    """Returns once `url` answers; exits the script if it never does."""
    for _ in range(attempts):
        try:
            urllib.request.urlopen(url, timeout=timeout).read()
            return
        except OSError:
            time.sleep(pause)
    raise SystemExit(f"{url} did not come up")
