"""What the benchmark scripts share: a process's CPU time from /proc, and waiting for a local
HTTP endpoint to answer before measuring it."""
import os, time, urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


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
