#!/usr/bin/env python3
"""Judges a drill from the outside: the journal export, the SQLite file, `surgewatch alerts
--json` and the load generator's timeline. Prints the timeline and every check; exits 0 only
when all pass. Last line: lead_seconds=N false_alarms=N (the last sale's lead, after the model
has learned from the first).

Usage: check.py WORKDIR SURGEWATCH_BINARY
"""
import json
import os
import sqlite3
import subprocess
import sys

work, binary = sys.argv[1], sys.argv[2]
identifier = "surgewatch-drill"
failures = []


def check(ok, text):
    print(("PASS " if ok else "FAIL ") + text)
    if not ok:
        failures.append(text)


timeline = json.load(open(f"{work}/timeline.json"))
origin = timeline[0]["start"]


def at(seconds):
    return f"{seconds - origin:+7.1f}s"


entries = [json.loads(line) for line in open(f"{work}/journal.json") if line.strip()]
ours = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == identifier]
events = [e for e in ours if "SURGE_EVENT" in e]
learning = [e["MESSAGE"] for e in ours if str(e.get("MESSAGE", "")).startswith("online learning")]

db = sqlite3.connect(f"file:{work}/state/surgewatch.db?mode=ro", uri=True)
ticks = db.execute("SELECT ts, probability, state, label, tick FROM predictions ORDER BY ts, id").fetchall()
stored = {row[0]: row for row in db.execute(
    "SELECT id, kind, fired_at, escalated_at, resolved_at FROM alerts ORDER BY fired_at")}
listed = json.loads(subprocess.run([binary, "alerts", "--db", f"{work}/state/surgewatch.db", "--since", "1d", "--json"],
                                   check=True, capture_output=True, text=True).stdout)

# SLO episodes: runs of ticks whose rule label is 1.
episodes, current = [], None
for ts, _, _, label, _ in ticks:
    if label == 1:
        current = current or [ts, ts]
        current[1] = ts
    elif current:
        episodes.append(current)
        current = None
if current:
    episodes.append(current)

print("timeline (seconds from the first phase):")
for phase in timeline:
    rate = phase["rate"]
    print(f"  {at(phase['start'])} .. {at(phase['end'])}  {phase['phase']:<7} {rate[0]:.0f}-{rate[1]:.0f} req/s, "
          f"sent {phase['sent']}, answered {phase['answered']}")
for start, end in episodes:
    print(f"  {at(start)} .. {at(end)}  SLO broken")
for e in events:
    ts = int(e["__REALTIME_TIMESTAMP"]) / 1e6
    extra = " (escalated from predicted)" if e.get("SURGE_ESCALATED_FROM") else ""
    print(f"  {at(ts)}  journal: {e['SURGE_KIND']} {e['SURGE_EVENT']}{extra} p={e.get('SURGE_PROBABILITY')} "
          f"id={e['SURGE_ALERT_ID'][:8]}")
for message in learning[:3] + (["..."] if len(learning) > 4 else []) + learning[-1:] if learning else []:
    print(f"  log: {message}")

# Every alert: in the journal, in SQLite and in `surgewatch alerts --json`, the same.
journal_ids = {e["SURGE_ALERT_ID"] for e in events}
listed_ids = {a["id"] for a in listed}
check(journal_ids == set(stored) == listed_ids,
      f"the journal, SQLite and `surgewatch alerts --json` name the same {len(journal_ids)} alerts")
for alert_id, (_, kind, fired, escalated, resolved) in stored.items():
    fired_entries = [e for e in events if e["SURGE_ALERT_ID"] == alert_id and e["SURGE_EVENT"] == "fired"]
    resolved_entries = [e for e in events if e["SURGE_ALERT_ID"] == alert_id and e["SURGE_EVENT"] == "resolved"]
    check(resolved is not None and len(resolved_entries) == 1,
          f"alert {alert_id[:8]} ({kind}, fired {at(fired)}) resolved once, in SQLite and the journal")
    tick_times = {row[0] for row in ticks}
    check(all(time in tick_times for time in (fired, escalated, resolved) if time is not None),
          f"alert {alert_id[:8]}: its fired, escalated and resolved times are ticks' times in `predictions`")
    if escalated is not None:
        check(any(e.get("SURGE_ESCALATED_FROM") == "predicted" and e["SURGE_KIND"] == "breached" for e in fired_entries),
              f"alert {alert_id[:8]} escalated from predicted to breached under one id")

sales = [p for p in timeline if p["phase"] == "sale"]
leads = []
for number, sale in enumerate(sales, 1):
    episode = next((ep for ep in episodes if sale["start"] - 20 <= ep[0] <= sale["end"] + 5), None)
    check(episode is not None, f"sale {number} broke the SLO (else the drill proves nothing)")
    if episode is None:
        continue
    # Judged in ticks: the `predictions` row of the first broken tick must already show an open
    # alert (an event carries the time of the tick that caused it, checked above).
    first = next(index for index, row in enumerate(ticks) if row[0] == episode[0])
    open_states = ("predicted", "breached")
    check(ticks[first][2] in open_states,
          f"sale {number}: an alert was open at the first broken tick ({at(episode[0])}), state {ticks[first][2]}")
    start = first
    while start > 0 and ticks[start - 1][2] in open_states:
        start -= 1
    lead = episode[0] - ticks[start][0]
    leads.append(lead)
    alert = min((row for row in stored.values() if row[2] <= episode[0] + 1.0 and (row[4] is None or row[4] >= episode[0])),
                key=lambda row: row[2], default=None)
    print(f"      sale {number}: lead {lead:.1f}s" + (f", {alert[1]} alert {alert[0][:8]}" if alert else ""))
    if alert:
        check(alert[4] is not None and alert[4] >= episode[1], f"sale {number}: the alert resolved after the SLO recovered ({at(episode[1])})")

# `surgewatch alerts --record` on the same file: the daemon's own record, by the drill's config
# (1 s ticks, resolve_after 3). Its counts must match the stored rows, cut into runs where the
# tick count restarts or ticks lie more than three intervals apart, as the command cuts them.
record = json.loads(subprocess.run([binary, "alerts", "--config", f"{work}/surgewatch.toml", "--state-dir", f"{work}/state",
                                    "--record", "--json"], check=True, capture_output=True, text=True).stdout)
runs, merged, last_end, previous = 0, 0, None, None
for index, (ts, _, _, label, tick) in enumerate(ticks):
    if previous is None or tick <= previous[1] or ts - previous[0] > 3.0:
        runs, last_end = runs + 1, None
    if label == 1:
        if last_end is None or index - last_end > 3:
            merged += 1
        last_end = index
    previous = (ts, tick)
print(f"  alerts --record: {record['episodes']} episodes, {record['caught_early']} warned early, "
      f"{record['continuing']} continuing, {record['false_alarms']} false alarms, {record['runs']} run(s)")
check(record["ticks"] == len(ticks) and record["runs"] == runs and record["episodes"] == merged,
      f"`surgewatch alerts --record` counts the stored ticks ({len(ticks)}), runs ({runs}) and episodes ({merged})")

# `surgewatch alerts --record --policy-grid`: the [alert] settings it suggests from the stored
# p, verdicts and samples, written into the drill's config (scripts/suggested-config, as
# scripts/evaluate does), pass `check-config`: an operator can paste them as they are.
grid = subprocess.run([binary, "alerts", "--config", f"{work}/surgewatch.toml", "--state-dir", f"{work}/state",
                       "--record", "--policy-grid"], check=True, capture_output=True, text=True).stdout
suggested = [line for line in grid.splitlines() if "suggested for [alert] on this history:" in line]
check(len(suggested) == 1, "`alerts --record --policy-grid` ends its hold search with one suggestion for [alert]")
if suggested:
    print("  " + suggested[0].strip())
    with open(f"{work}/grid.txt", "w") as out:
        out.write(grid)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    settings = subprocess.run([f"{repo}/scripts/suggested-config", f"{work}/grid.txt", f"{work}/surgewatch.toml",
                               f"{work}/suggested.toml"], check=True, capture_output=True, text=True).stdout.strip()
    if settings != "none":
        verdict = subprocess.run([binary, "check-config", f"{work}/suggested.toml"], capture_output=True, text=True)
        problem = "" if verdict.returncode == 0 else f": {verdict.stdout}{verdict.stderr}".rstrip()
        check(verdict.returncode == 0, f"the suggested settings ({settings}) pass check-config{problem}")

calm = [p for p in timeline if p["phase"] == "calm"]
false_alarms = 0
for alert_id, (_, kind, fired, _, resolved) in stored.items():
    in_calm = any(p["start"] <= fired <= p["end"] for p in calm)
    overlaps = any(fired <= ep[1] + 0.5 and (resolved is None or resolved >= ep[0]) for ep in episodes)
    if in_calm and not overlaps:
        false_alarms += 1
        print(f"      false alarm: {kind} alert fired {at(fired)} in a calm phase with no broken SLO")
check(false_alarms == 0, f"no alert in the calm phases ({false_alarms} false alarms)")
warned_sales = sum(1 for lead in leads if lead >= 1.0)
check(record["caught_early"] + record["continuing"] >= warned_sales,
      f"`surgewatch alerts --record` counts as warned every sale warned a tick or more ahead ({warned_sales})")
if len(leads) >= 2:
    check(leads[-1] >= leads[0], f"the last sale was warned at least as early as the first ({leads[-1]:.1f}s >= {leads[0]:.1f}s)")
check(bool(learning), f"the log shows online learning ({len(learning)} entries)")

print(f"{len(failures)} failed" if failures else "all checks passed")
try:
    print(f"surgewatch peak RSS during the drill: {open(f'{work}/rss.txt').read().strip()}")
except OSError:
    pass
# The last sale's lead: the first is met by a model that has seen no sale on this host yet.
print(f"lead_seconds={leads[-1] if leads else 0:.0f} false_alarms={false_alarms}")
sys.exit(1 if failures else 0)
