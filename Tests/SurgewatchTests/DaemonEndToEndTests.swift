import Foundation
import Testing
import SurgeStore

/// The built binary, run for real: fixture /proc trees, a real NOTIFY_SOCKET, real signals.
@Suite(.serialized) struct DaemonEndToEndTests {
    static let fixtures = DaemonProcess.repository + "/Tests/SurgeSamplingTests/Fixtures/linux-6.18"
    static let golden = Bundle.module.resourcePath! + "/Fixtures/golden-ticks-linux-6.18-t2.jsonl"

    static func config(procRoot: String, window: Int = 30, features: String? = nil) -> String {
        var text = "[sampling]\ninterval = \"1s\"\nproc_root = \"\(procRoot)\"\n[window]\nticks = \(window)\n"
        if let features { text += "[model]\nfeatures = \(features)\nhorizon_ticks = 1\n" }
        return text
    }

    func run(_ scratch: Scratch, _ extra: [String] = [], environment: [String: String] = [:]) throws -> DaemonProcess {
        try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state] + extra, environment: environment)
    }

    /// The built-in model under another rule predicts the rule it learned until online learning
    /// fits it: the start says so, with both rules; under the shipped rule it says nothing.
    @Test func theBuiltInModelUnderAnotherRuleIsSaidAtStart() throws {
        let note = "the built-in model was trained to predict the rule any [tcp_listen_overflows_per_s > 0, psi_cpu_some_avg10 > 50], "
        let shop = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2") + "[overload]\nany = [\"load1 > 4\"]\n")
        let daemon = try run(shop, ["--max-ticks", "1", "--tick-output", "none"])
        #expect(daemon.waitForExit(.seconds(15)) == 0, "\(daemon.stderr)")
        #expect(daemon.stderr.contains(note + "not this config's any [load1 > 4]: online learning fits it"), "\(daemon.stderr)")
        let shipped = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let plain = try run(shipped, ["--max-ticks", "1", "--tick-output", "none"])
        #expect(plain.waitForExit(.seconds(15)) == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("predicting from the built-in default model") && !plain.stderr.contains(note), "\(plain.stderr)")
    }

    /// A model whose features are all rates has none at the first tick (a rate needs two
    /// reads): that is warming up, not "every model feature missing for more than 3 ticks",
    /// which the daemon said at every such start and took back a second later.
    @Test func featuresNotYetSeenAtTheFirstTicksAreNotSaidMissing() throws {
        let scratch = try Scratch(config: Self.config(procRoot: "/proc", window: 3, features: "[\"cpu_busy\"]"))
        let daemon = try run(scratch, ["--max-ticks", "5", "--tick-output", "text"])
        #expect(daemon.waitForExit(.seconds(30)) == 0, "\(daemon.stderr)")
        #expect(!daemon.stderr.contains("no prediction") && !daemon.stderr.contains("predicting again"), "\(daemon.stderr)")
        #expect(daemon.stdoutLines.first?.hasSuffix("window 1/3 · warming up") == true, "\(daemon.stdout)")
        // A fresh model (other features) gives no p until it has learned: never "no prediction".
        #expect(daemon.stdoutLines.count == 5 && daemon.stdoutLines.allSatisfy { !$0.contains("no prediction") }, "\(daemon.stdout)")
    }

    @Test func ticksOverFixtureProcMatchGoldenFile() throws {
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--max-ticks", "3", "--tick-output", "json"])
        #expect(daemon.waitForExit(.seconds(15)) == 0, "\(daemon.stderr)")
        let lines = daemon.stdoutLines.map {
            $0.replacingOccurrences(of: #""time":"[0-9TZ:-]+""#, with: #""time":"T""#, options: .regularExpression)
                .replacingOccurrences(of: #""cpu_us":[0-9]+"#, with: #""cpu_us":C"#, options: .regularExpression)
        }
        let expected = try String(contentsOfFile: Self.golden, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == expected)
        // The daemon's own CPU time per tick: a tick that reads eleven /proc files costs some.
        let cpu = daemon.stdoutLines.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["cpu_us"] as? Int
        }
        #expect(cpu.count == 3 && cpu.allSatisfy { $0 > 0 }, "\(daemon.stdoutLines)")
        #expect(FileManager.default.fileExists(atPath: scratch.state), "the state directory is created")
    }

    @Test func listenOverflowsReachTheTickOutput() throws {
        // The proc root is a symlink switched from t1 to t2 after the first tick: 76 listen
        // overflows appear between two ticks about one second apart.
        let link = NSTemporaryDirectory() + "surgewatch-proc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Self.fixtures + "/t1")
        defer { try? FileManager.default.removeItem(atPath: link) }
        let scratch = try Scratch(config: Self.config(procRoot: link))
        let daemon = try run(scratch, ["--max-ticks", "2", "--tick-output", "json"])
        #expect(daemon.waitFor { $0.stdoutLines.count >= 1 })
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Self.fixtures + "/t2")
        #expect(daemon.waitForExit(.seconds(10)) == 0)
        let second = try #require(daemon.stdoutLines.last?.data(using: .utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: second) as? [String: Any])
        let values = try #require(object["values"] as? [String: Any])
        let overflows = try #require(values["tcp_listen_overflows_per_s"] as? Double)
        #expect(overflows > 50 && overflows < 110, "76 overflows in about 1 s, got \(overflows)/s")
        let busy = try #require(values["cpu_busy"] as? Double)
        #expect(busy > 0 && busy < 1)
    }

    @Test func notifySocketReceivesReadyStatusWatchdogAndStopping() throws {
        let socket = try NotifySocket()
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--max-ticks", "3", "--tick-output", "none"],
                             environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "3000000"])
        #expect(daemon.waitForExit(.seconds(15)) == 0, "\(daemon.stderr)")
        let messages = socket.messages
        let ready = try #require(messages.firstIndex { $0.contains("READY=1") }, "\(messages)")
        #expect(messages[ready].contains("STATUS=tick 1 · warming up · window 1/30"))
        // cpu_busy needs jiffies to pass; the listen queues come from netlink, never from a fixture tree.
        // One datagram a tick: its status and, with the watchdog on, the ping.
        #expect(messages.contains { $0 == "STATUS=tick 3 · warming up · window 3/30 · 2/5 features missing · 0 source failures\nWATCHDOG=1" },
                "\(messages)")
        #expect(socket.assignments.filter { $0.contains("WATCHDOG=1") }.count >= 3, "one ping per tick at least")
        let stopping = try #require(messages.lastIndex { $0.hasPrefix("STOPPING=1") })
        #expect(stopping > ready)
        #expect(messages[stopping].contains("stopped after 3 ticks"))
        // A stop says what the run cost: the ticks since the last daily record (none here).
        #expect(daemon.stderr.contains("own cost over the last 3 ticks: CPU per tick median "), "\(daemon.stderr)")
    }

    @Test func watchdogIsPingedBetweenTicksWhenItsPeriodIsShorterThanTheInterval() throws {
        // WatchdogSec=0.4s with 1 s ticks: the daemon must ping every 0.2 s while it waits.
        let socket = try NotifySocket()
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--max-ticks", "3", "--tick-output", "none"],
                             environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"])
        #expect(daemon.waitForExit(.seconds(15)) == 0)
        let pings = socket.assignments.filter { $0.contains("WATCHDOG=1") }.count
        #expect(pings >= 3 + 8, "2 s of waiting at 0.2 s plus one per tick; got \(pings)")
    }

    @Test func anAbstractNotifySocketIsReachedToo() throws {
        // NOTIFY_SOCKET=@name: the daemon's kept socket sends to the abstract namespace.
        let socket = try NotifySocket(abstract: true)
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--max-ticks", "2", "--tick-output", "none"],
                             environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "3000000"])
        #expect(daemon.waitForExit(.seconds(15)) == 0, "\(daemon.stderr)")
        let assignments = socket.assignments
        #expect(assignments.first?.first == "READY=1", "\(socket.messages)")
        #expect(assignments.filter { $0.contains("WATCHDOG=1") }.count == 2, "\(socket.messages)")
        #expect(assignments.last?.first == "STOPPING=1", "\(socket.messages)")
    }

    @Test func watchdogMeantForAnotherProcessIsIgnored() throws {
        let socket = try NotifySocket()
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--max-ticks", "2", "--tick-output", "none"],
                             environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"])
        #expect(daemon.waitForExit(.seconds(15)) == 0)
        #expect(!socket.assignments.contains { $0.contains("WATCHDOG=1") }, "\(socket.messages)")
        #expect(socket.messages.contains { $0.hasPrefix("READY=1") })
    }

    @Test func sighupWithValidConfigAppliesAtNextTickAndKeepsTheWindow() throws {
        let socket = try NotifySocket()
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--tick-output", "text"], environment: ["NOTIFY_SOCKET": socket.path])
        #expect(daemon.waitFor { $0.stdoutLines.count >= 3 })
        try scratch.write(config: Self.config(procRoot: Self.fixtures + "/t2", window: 5, features: #"["load1", "tcp_established"]"#))
        let linesBefore = daemon.stdoutLines.count
        daemon.signal(SIGHUP)
        #expect(socket.waitFor { $0.hasPrefix("RELOADING=1") && $0.contains("MONOTONIC_USEC=") })
        #expect(daemon.waitFor { $0.stderr.contains("configuration reloaded") })
        #expect(daemon.waitFor { $0.stdoutLines.count >= linesBefore + 2 })
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(5)) == 0)

        let reloadedLine = try #require(daemon.stdoutLines.last)
        #expect(reloadedLine.contains("· load1=1.02 tcp_established=4 ·"), "new features are used: \(reloadedLine)")
        #expect(reloadedLine.contains("window 5/5"), "rows from before the reload were kept: \(reloadedLine)")
        let reloading = try #require(socket.messages.firstIndex { $0.hasPrefix("RELOADING=1") })
        #expect(socket.messages[(reloading + 1)...].contains { $0.hasPrefix("READY=1") })
        // Tick numbers go on: the daemon did not restart.
        let ticks = daemon.stdoutLines.compactMap { line in line.split(separator: " ").dropFirst(2).first.flatMap { Int($0) } }
        #expect(ticks == Array(1...ticks.count))
    }

    /// The model's window is counted in ticks: rows a second apart in a window of 2 s ticks
    /// would be a window it never saw, so a reload to another interval begins the window again.
    @Test func sighupToAnotherIntervalBeginsTheWindowAgain() throws {
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2", window: 5))
        let daemon = try run(scratch, ["--tick-output", "text"])
        #expect(daemon.waitFor { $0.stdoutLines.count >= 3 })
        try scratch.write(config: Self.config(procRoot: Self.fixtures + "/t2", window: 5).replacingOccurrences(of: "\"1s\"", with: "\"2s\""))
        let linesBefore = daemon.stdoutLines.count
        daemon.signal(SIGHUP)
        #expect(daemon.waitFor { $0.stdoutLines.count >= linesBefore + 2 })
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(5)) == 0)
        #expect(daemon.stderr.contains("configuration reloaded: 29 metrics, window 5 ticks (none kept: taken every 1s before), every 2s"),
                "\(daemon.stderr)")
        let after = daemon.stdoutLines[linesBefore...].map { $0.contains("window 1/5") || $0.contains("window 2/5") }
        #expect(Array(after.prefix(2)) == [true, true], "the window fills again: \(daemon.stdoutLines)")
    }

    @Test func sighupWithInvalidConfigIsRejectedAndTheOldOneStays() throws {
        let socket = try NotifySocket()
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--tick-output", "text"], environment: ["NOTIFY_SOCKET": socket.path])
        #expect(daemon.waitFor { $0.stdoutLines.count >= 1 })
        try scratch.write(config: "[sampling]\nintervall = \"1s\"\n")
        daemon.signal(SIGHUP)
        #expect(daemon.waitFor { $0.stderr.contains("rejected") })
        let linesAfterReject = daemon.stdoutLines.count
        #expect(daemon.waitFor { $0.stdoutLines.count >= linesAfterReject + 2 }, "ticks go on")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(5)) == 0)
        #expect(daemon.stderr.contains("SIGHUP: \(scratch.config):2:1: sampling.intervall: unknown key 'intervall'; did you mean 'interval'?"))
        #expect(daemon.stdoutLines.allSatisfy { $0.contains("/30") }, "the window keeps its configured length")
        #expect(socket.waitFor { $0.hasPrefix("RELOADING=1") })
        let reloading = try #require(socket.messages.firstIndex { $0.hasPrefix("RELOADING=1") })
        #expect(socket.messages[(reloading + 1)...].contains { $0.hasPrefix("READY=1") }, "READY=1 follows even a rejected reload")
    }

    /// A reload whose model file cannot serve is ignored whole, as an invalid file is: its
    /// sources are not applied either, since the running pipeline reads the old sources' columns
    /// (a daemon that rebuilt the sources but kept the old pipeline stopped on its next tick).
    @Test func sighupWithAnUnusableModelIsIgnoredWhole() throws {
        let socket = try NotifySocket()
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--tick-output", "text"], environment: ["NOTIFY_SOCKET": socket.path])
        #expect(daemon.waitFor { $0.stdoutLines.count >= 1 })
        try "not a model".write(toFile: scratch.state + "/damaged.swm", atomically: true, encoding: .utf8)
        // A probe adds two metrics, so the new sources' samples have other columns.
        try scratch.write(config: Self.config(procRoot: Self.fixtures + "/t2", window: 5)
            + "[model]\npath = \"damaged.swm\"\n[[sources.probe]]\nurl = \"http://127.0.0.1:9/health\"\ntimeout = \"200ms\"\n")
        daemon.signal(SIGHUP)
        #expect(daemon.waitFor { $0.stderr.contains("SIGHUP: the new configuration is ignored") })
        let linesAfter = daemon.stdoutLines.count
        #expect(daemon.waitFor { $0.stdoutLines.count >= linesAfter + 2 }, "ticks go on: \(daemon.stderr)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(5)) == 0, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("SIGHUP: the new configuration is ignored, its model cannot serve: \(scratch.state)/damaged.swm: "), "\(daemon.stderr)")
        #expect(!daemon.stderr.contains("configuration reloaded"))
        #expect(daemon.stdoutLines.allSatisfy { $0.contains("/30") && !$0.contains("probe_") }, "the old window and sources stay")
        let reloading = try #require(socket.messages.firstIndex { $0.hasPrefix("RELOADING=1") })
        #expect(socket.messages[(reloading + 1)...].contains { $0.hasPrefix("READY=1") }, "READY=1 follows the ignored reload")
    }

    /// A reload rebuilds the sources when only where they read changed (`cgroup_root`), and
    /// says which keys it cannot apply until the next start instead of ignoring them silently.
    @Test func sighupRebuildsSourcesForANewCgroupRootAndNamesKeysForTheNextStart() throws {
        func config(cgroupRoot: String, identifier: String) -> String {
            "[sampling]\ninterval = \"1s\"\nproc_root = \"\(Self.fixtures)/t2\"\ncgroup_root = \"\(cgroupRoot)\"\n"
                + "[[sources.cgroup]]\nunit = \"shop.service\"\n[journal]\nidentifier = \"\(identifier)\"\n"
        }
        let scratch = try Scratch(config: "")
        try scratch.write(config: config(cgroupRoot: scratch.directory + "/cg-a", identifier: "surgewatch"))
        let daemon = try run(scratch, ["--tick-output", "none"])
        #expect(daemon.waitFor { $0.stderr.contains("sampling ") }, "\(daemon.stderr)")
        try scratch.write(config: config(cgroupRoot: scratch.directory + "/cg-b", identifier: "shop-watch"))
        daemon.signal(SIGHUP)
        #expect(daemon.waitFor { $0.stderr.contains("configuration reloaded") }, "\(daemon.stderr)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(5)) == 0, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("SIGHUP: journal.identifier changed; that applies at the next start (systemctl restart surgewatch)"), "\(daemon.stderr)")
        let reloaded = try #require(daemon.stderr.split(separator: "\n").first { $0.contains("configuration reloaded") })
        #expect(reloaded.hasSuffix(", sources rebuilt"), "a new cgroup_root alone rebuilds the sources: \(reloaded)")
    }

    /// Context switches of each thread of `pid` (voluntary + involuntary), by thread id, with
    /// the thread's name.
    static func wakeUps(of pid: Int32) -> [String: (name: String, switches: Int)] {
        let tasks = "/proc/\(pid)/task"
        var result: [String: (String, Int)] = [:]
        for tid in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            guard let status = try? String(contentsOfFile: "\(tasks)/\(tid)/status", encoding: .utf8) else { continue }
            var name = "", switches = 0
            for line in status.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { continue }
                if parts[0] == "Name" { name = parts[1] }
                if parts[0].hasSuffix("ctxt_switches") { switches += Int(parts[1]) ?? 0 }
            }
            result[tid] = (name, switches)
        }
        return result
    }

    @Test func betweenTicksNoThreadOfTheDaemonWakes() throws {
        // Dispatch's pool monitor woke the daemon every second for its whole life (GlobalJobs):
        // between two ticks 8 s apart, no thread may wake now.
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--tick-interval", "8s", "--tick-output", "json"])
        #expect(daemon.waitFor { $0.stdoutLines.count >= 1 })
        usleep(500_000)  // the first tick's aftermath: its database write, the log
        let before = Self.wakeUps(of: daemon.process.processIdentifier)
        sleep(3)
        let after = Self.wakeUps(of: daemon.process.processIdentifier)
        #expect(daemon.stdoutLines.count == 1, "the second tick came early: \(daemon.stdoutLines.count) ticks")
        // Three threads, all the daemon's own: the main thread (global and main-actor jobs), the
        // tick's, the signals'. No Dispatch thread: its pool's monitor woke the daemon every
        // second, its manager asked for nice -4 (a journal line at every start under the unit).
        let names = after.values.map(\.name).sorted()
        #expect(names == ["surgewatch", "surgewatch-sig", "surgewatch-tick"], "threads: \(names)")
        for (tid, thread) in after {
            guard let earlier = before[tid] else { continue }
            #expect(thread.switches == earlier.switches,
                    "thread \(tid) (\(thread.name)) woke \(thread.switches - earlier.switches) times in 3 s between ticks")
        }
        expectCleanStopWithinTwoSeconds(daemon)
    }

    /// SIGTERM (or SIGINT, Ctrl-C in a terminal), then exit status 0 in under 2 s. `againAfter`:
    /// the same signal a second time once the daemon has logged this line.
    func expectCleanStopWithinTwoSeconds(_ daemon: DaemonProcess, signal: Int32 = SIGTERM, againAfter line: String? = nil) {
        let start = ContinuousClock.now
        daemon.signal(signal)
        if let line {
            #expect(daemon.waitFor(.seconds(1)) { $0.stderr.contains(line) })
            daemon.signal(signal)
        }
        // The exit itself is timed: draining the pipes afterwards is the test's own business.
        let elapsed = daemon.timeToExit(.seconds(5), since: start)
        let code = daemon.waitForExit(.seconds(5))
        #expect(code == 0)
        #expect(elapsed.map { $0 < .seconds(2) } == true, "took \(elapsed.map { "\($0)" } ?? "over 5 s")")
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func stopSignalExitsZeroWithinTwoSeconds(signal: Int32) throws {
        let socket = try NotifySocket()
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let daemon = try run(scratch, ["--tick-output", "text"], environment: ["NOTIFY_SOCKET": socket.path])
        #expect(daemon.waitFor { $0.stdoutLines.count >= 2 })
        expectCleanStopWithinTwoSeconds(daemon, signal: signal)
        #expect(socket.messages.contains { $0.hasPrefix("STOPPING=1") })
        #expect(daemon.stderr.contains("stopped after"))
    }

    @Test func sigtermDuringATickStuckInASourceStillExitsWithinTwoSeconds() throws {
        // /proc/loadavg replaced by a FIFO nobody writes: the first tick blocks in open(2)
        // forever, a tick that cancellation cannot interrupt.
        let tree = NSTemporaryDirectory() + "surgewatch-stuck-\(UUID().uuidString.prefix(8))"
        try FileManager.default.copyItem(atPath: Self.fixtures + "/t2", toPath: tree)
        defer { try? FileManager.default.removeItem(atPath: tree) }
        try FileManager.default.removeItem(atPath: tree + "/loadavg")
        #expect(mkfifo(tree + "/loadavg", 0o600) == 0)
        let scratch = try Scratch(config: Self.config(procRoot: tree))
        let daemon = try run(scratch, ["--tick-output", "text"])
        #expect(daemon.waitFor { $0.stderr.contains("sampling 29 metrics") })
        usleep(300_000)
        #expect(daemon.stdoutLines.isEmpty, "the first tick is stuck")
        // A second stop signal while the stop waits (Ctrl-C twice; `timeout`, which signals the
        // child and then its whole group) changes nothing, and the log says so.
        expectCleanStopWithinTwoSeconds(daemon, againAfter: "SIGTERM: stopping")
        #expect(daemon.stderr.contains("tick 1 still running 1.8 s after the stop request (stuck in reading host)"), "\(daemon.stderr)")
        #expect(daemon.stderr.components(separatedBy: "SIGTERM: stopping").count == 2, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("SIGTERM again: already stopping"), "\(daemon.stderr)")
    }

    @Test func badConfigAtStartExitsOneWithTheLocation() throws {
        let scratch = try Scratch(config: "[window]\nticks = \"many\"\n")
        let daemon = try run(scratch)
        #expect(daemon.waitForExit(.seconds(10)) == 1)
        #expect(daemon.stderr.contains("\(scratch.config):2:9: window.ticks: expected an integer, got string \"many\""))
    }

    @Test func checkConfigExitCodesAndMessages() throws {
        let shipped = DaemonProcess.repository + "/config/surgewatch.toml"
        let (okCode, okOut, _) = try DaemonProcess.run(["check-config", shipped])
        #expect(okCode == 0)
        #expect(okOut.contains("valid; 29 metrics"))
        #expect(okOut.contains("model: the built-in default model (window 30 ticks, horizon 3, ticks of 10s)"), "\(okOut)")
        #expect(okOut.contains("\nalerts: fire at p >= 0.95 for 2 ticks or 0.96 once, resolve below 0.2 for 3 ticks\n"), "\(okOut)")
        let shop = DaemonProcess.repository + "/config/shop-example.toml"
        let (shopCode, shopOut, _) = try DaemonProcess.run(["check-config", shop])
        #expect(shopCode == 0 && shopOut.contains("\nalerts: fire at p >= 0.75 for 2 ticks or 0.96 once, resolve below 0.2 for 3 ticks or below 0.4 for 60 ticks\n"),
                "the shop's config sets its own: \(shopOut)")
        #expect(okOut.contains("online learning holds about 5.9 MiB (labelled windows 2.4, training workspace 2.6, weights 0.4, alert record 0.5)"), "\(okOut)")
        // An 8-hour window at 10 s ticks: the rings and workspace of learning alone exceed the unit's memory cap.
        let long = try Scratch(config: "[window]\nticks = 2880\n")
        let (longCode, longOut, longErr) = try DaemonProcess.run(["check-config", long.config])
        #expect(longCode == 0 && longOut.contains("online learning holds about 456.4 MiB"), "\(longOut)")
        #expect(longErr.contains("warning: \(long.config): online learning would hold more than 96 MiB; the shipped unit's MemoryMax=128M would stop the daemon"), "\(longErr)")
        #expect(!longErr.contains("over netlink"), "proc_root is /proc: \(longErr)")
        // A fixture tree for /proc: the default features' listen queue cannot come from it.
        let elsewhere = try Scratch(config: "[sampling]\nproc_root = \"/srv/proc\"\n")
        let (elsewhereCode, _, elsewhereErr) = try DaemonProcess.run(["check-config", elsewhere.config])
        #expect(elsewhereCode == 0)
        #expect(elsewhereErr == "warning: \(elsewhere.config): tcp_listen_queue_ratio will stay missing: read over netlink only when sampling.proc_root is /proc, not /srv/proc\n")
        // A kernel with PSI off: the fixture tree without its pressure files.
        let withoutPSI = try Scratch(config: "")
        try FileManager.default.copyItem(atPath: Self.fixtures + "/t2", toPath: withoutPSI.directory + "/proc")
        try FileManager.default.removeItem(atPath: withoutPSI.directory + "/proc/pressure")
        try withoutPSI.write(config: "[sampling]\nproc_root = \"\(withoutPSI.directory)/proc\"\n")
        let (psiCode, _, psiErr) = try DaemonProcess.run(["check-config", withoutPSI.config])
        #expect(psiCode == 0)
        #expect(psiErr.hasSuffix("warning: \(withoutPSI.config): psi_cpu_some_avg10 will stay missing: \(withoutPSI.directory)/proc/pressure lacks them, "
                                 + "as on a kernel built without PSI, or booted with it off (psi=0, or CONFIG_PSI_DEFAULT_DISABLED): psi=1 on the kernel "
                                 + "command line turns it on. The model would read its training mean for a missing feature, and the [overload] rule be "
                                 + "unknown where it needs them; where PSI cannot be turned on, use without-psi.toml (config/ in the source, "
                                 + "share/doc/surgewatch/ when installed): the features and rule of a built-in model made for such hosts\n"), "\(psiErr)")
        try withoutPSI.write(config: "[sampling]\nproc_root = \"\(Self.fixtures)/t2\"\n")
        #expect(try !DaemonProcess.run(["check-config", withoutPSI.config]).2.contains("psi_"), "the fixture with PSI")
        // The built-in model learned at 10 s ticks: at 5 s its horizon is half as far ahead.
        let faster = try Scratch(config: "[sampling]\ninterval = \"5s\"\n")
        let (fasterCode, _, fasterErr) = try DaemonProcess.run(["check-config", faster.config])
        #expect(fasterCode == 0)
        #expect(fasterErr == "warning: \(faster.config): the model was trained on ticks of 10s, sampling.interval is 5s: its horizon of 3 ticks looks 15s ahead here, not 30s, and its window of 30 ticks spans 2m30s, not 5m; it still serves (BENCHMARKS.md, session 23), and one trained on traces at this tick (surgewatch train) keeps the 30s horizon\n")
        #expect(okOut.contains("valid;") && !okOut.contains("warning"))
        // A rule on a _ratio the config names itself, past 1: valid, with a warning.
        let ratio = try Scratch(config: """
            [[sources.prometheus]]
            url = "http://127.0.0.1:9090/metrics"
            metrics = { http_error_ratio = 'ratio(rate(errors_total), rate(requests_total))' }
            [overload]
            any = ["http_error_ratio > 5"]
            """)
        let (ratioCode, ratioOut, ratioErr) = try DaemonProcess.run(["check-config", ratio.config])
        #expect(ratioCode == 0 && ratioOut.contains("valid;"))
        #expect(ratioErr == "warning: \(ratio.config): overload.any[0]: \"http_error_ratio > 5\" can never hold if http_error_ratio runs from 0 to 1, as its name says; 5 % is 0.05\n")
        for other in ["eval/alibaba.toml", "eval/shop-slo.toml", "config/without-psi.toml"] {  // the drill's is a template (ports)
            let (code, _, err) = try DaemonProcess.run(["check-config", DaemonProcess.repository + "/" + other])
            #expect(code == 0, "\(other): \(err)")
        }
        let scratch = try Scratch(config: "[model]\nhidden = 0\n")
        let (badCode, badOut, badErr) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(badCode == 1)
        #expect(badOut.isEmpty)
        // The checks across keys wait for the keys' own values, and check-config says so: a
        // second run finding an unknown metric name is then no surprise.
        #expect(badErr == "\(scratch.config):2:10: model.hidden: 0 is out of range: expected 1 to 512\n"
                + "note: the checks across keys (metric names against the enabled sources, settings against each other) run once these are fixed\n")
        try scratch.write(config: "[model]\nfeatures = [\"cpu_busy\", \"load_1\"]\n")
        let (acrossCode, _, acrossErr) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(acrossCode == 1 && acrossErr == "\(scratch.config):2:25: model.features[1]: no enabled source provides metric 'load_1'; did you mean 'load1'?\n",
                "all was checked, so no note: \(acrossErr)")
        try scratch.write(config: "[model\nhidden = 0\n")
        let (syntaxCode, _, syntaxErr) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(syntaxCode == 1 && syntaxErr.hasSuffix(": TOML syntax: expected ']' to close the table header, found a line break\n"
                                                       + "note: the keys and values are checked once the syntax is fixed\n"), "\(syntaxErr)")
    }

    /// A state directory that cannot be made (a file stands where it goes) stops the start with
    /// the path and the reason, before anything is opened.
    @Test func runRefusesAStateDirectoryItCannotMake() throws {
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        try FileManager.default.createDirectory(atPath: scratch.directory, withIntermediateDirectories: true)
        let file = scratch.directory + "/not-a-directory"
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", file + "/state", "--tick-output", "text"])
        #expect(daemon.waitForExit(.seconds(30)) == 1, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("state directory \(file)/state: cannot create it: \(file) exists and is not a directory"), "\(daemon.stderr)")
        #expect(daemon.stdoutLines.isEmpty)
    }

    /// With `store.path` absolute, the state directory holds nothing the daemon writes: `run` and
    /// `test-alert` leave it unmade (by hand as root they made /var/lib/surgewatch, which
    /// systemd's DynamicUser= then had to migrate), and write the database where it says.
    @Test func anAbsoluteStorePathLeavesTheStateDirectoryUnmade() throws {
        let scratch = try Scratch(config: "")
        let database = scratch.directory + "/elsewhere/shop.db"
        try FileManager.default.createDirectory(atPath: scratch.directory + "/elsewhere", withIntermediateDirectories: true)
        try scratch.write(config: Self.config(procRoot: Self.fixtures + "/t2") + "[store]\npath = \"\(database)\"\n")
        let daemon = try run(scratch, ["--max-ticks", "1", "--tick-output", "none"])
        #expect(daemon.waitForExit(.seconds(15)) == 0, "\(daemon.stderr)")
        // Its exit status says whether a journald listened (JournalEndToEndTests); either way the
        // alert is stored.
        let (status, _, stderr) = try DaemonProcess.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state])
        #expect(status != nil, "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.state), "the state directory was made")
        let stored = try SQLiteDatabase(path: database, mode: .readOnly)
        #expect(try stored.rows("SELECT COUNT(*) FROM samples") == [[.integer(1)]])
        #expect(try stored.rows("SELECT COUNT(*) FROM alerts") == [[.integer(1)]], "test-alert's alert")
        // A relative store.path still makes the directory it lives in.
        try scratch.write(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let relative = try run(scratch, ["--max-ticks", "1", "--tick-output", "none"])
        #expect(relative.waitForExit(.seconds(15)) == 0, "\(relative.stderr)")
        #expect(FileManager.default.fileExists(atPath: scratch.state + "/surgewatch.db"))
    }

    /// A second `run` on the same database (a copy started by hand beside the service) refuses
    /// to start, naming the first's pid, and writes nothing; the first goes on untouched, and
    /// once it has stopped a new start runs, however the lock file was left.
    @Test func aSecondDaemonOnTheSameDatabaseRefusesToRun() throws {
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let first = try run(scratch, ["--tick-interval", "50ms", "--tick-output", "none"])
        #expect(first.waitFor(.seconds(15)) { $0.stderr.contains("sampling ") }, "\(first.stderr)")
        let second = try run(scratch, ["--max-ticks", "3", "--tick-interval", "50ms", "--tick-output", "none"])
        #expect(second.waitForExit(.seconds(15)) == 1, "\(second.stderr)")
        #expect(second.stderr.contains("another surgewatch (pid \(first.process.processIdentifier)) is running on the database "
            + "\(scratch.state)/surgewatch.db: stop it first (systemctl stop surgewatch), or give this one its own --state-dir"), "\(second.stderr)")
        #expect(first.process.isRunning)
        first.signal(SIGTERM)
        #expect(first.waitForExit(.seconds(15)) == 0, "\(first.stderr)")
        let database = try SQLiteDatabase(path: scratch.state + "/surgewatch.db", mode: .readOnly)
        let ticks = try database.rows("SELECT tick FROM samples ORDER BY id").compactMap { $0[0].integer }
        #expect(!ticks.isEmpty && ticks == Array(1...Int64(ticks.count)), "the first's ticks alone")
        let third = try run(scratch, ["--max-ticks", "1", "--tick-output", "none"])
        #expect(third.waitForExit(.seconds(15)) == 0, "\(third.stderr)")
    }

    /// A database whose directory is not there yet cannot have its lock file either: the start
    /// says so and runs (the database itself is waited for), rather than not running at all.
    @Test func aLockThatCannotBeMadeIsSaidAndTheDaemonRuns() throws {
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2") + "[store]\npath = \"not-mounted/surgewatch.db\"\n")
        let daemon = try run(scratch, ["--max-ticks", "2", "--tick-interval", "50ms", "--tick-output", "none"])
        #expect(daemon.waitForExit(.seconds(15)) == 0, "\(daemon.stderr)")
        let lock = scratch.state + "/not-mounted/surgewatch.db.lock"
        #expect(daemon.stderr.contains("warning surgewatch: [SurgeDaemon] cannot take the lock \(lock): No such file or directory; "
            + "a second daemon on this database would not be refused"), "\(daemon.stderr)")
        #expect(daemon.stderr.contains("cannot open the database yet: "), "\(daemon.stderr)")
        #expect(daemon.stderr.contains("stopped after 2 ticks"), "\(daemon.stderr)")
    }

    /// A file in the database's place that is not a SQLite database stops the start with the
    /// path, the reason and what to do, and is left byte for byte as it was.
    @Test func runRefusesAFileThatIsNotItsDatabaseAndLeavesItAlone() throws {
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        let path = scratch.state + "/surgewatch.db"
        let foreign = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) })
        try foreign.write(to: URL(fileURLWithPath: path))
        let daemon = try run(scratch, ["--tick-output", "text"])
        #expect(daemon.waitForExit(.seconds(30)) == 1, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("cannot open the database: \(path): not a surgewatch database: file is not a database; it was not changed (move it away, or set [store] path to another file)"),
                "\(daemon.stderr)")
        #expect(daemon.stdoutLines.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == foreign)
    }

    /// `run` with a damaged `model.path` refuses to start, as check-config refuses the file: exit
    /// 1 naming the file and what is wrong, no READY=1, and the ticks an earlier run stored are
    /// all still there.
    @Test func runRefusesADamagedModelFileAndKeepsTheStoredTicks() throws {
        let scratch = try Scratch(config: Self.config(procRoot: Self.fixtures + "/t2"))
        let earlier = try run(scratch, ["--max-ticks", "3", "--tick-output", "none"])
        #expect(earlier.waitForExit(.seconds(30)) == 0, "\(earlier.stderr)")
        try "not a model".write(toFile: scratch.state + "/damaged.swm", atomically: true, encoding: .utf8)
        try scratch.write(config: Self.config(procRoot: Self.fixtures + "/t2") + "[model]\npath = \"damaged.swm\"\n")

        let socket = try NotifySocket()
        let daemon = try run(scratch, ["--tick-output", "text"], environment: ["NOTIFY_SOCKET": socket.path])
        #expect(daemon.waitForExit(.seconds(30)) == 1, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("cannot load the model: \(scratch.state)/damaged.swm: "), "\(daemon.stderr)")
        #expect(daemon.stdoutLines.isEmpty, "no tick: \(daemon.stdoutLines)")
        #expect(!socket.messages.contains { $0.hasPrefix("READY=1") }, "\(socket.messages)")
        let database = try SQLiteDatabase(path: scratch.state + "/surgewatch.db", mode: .readOnly)
        #expect(try database.rows("SELECT count(*), min(tick), max(tick) FROM samples") == [[.integer(3), .integer(1), .integer(3)]])
    }

    /// `model.path` names a file the daemon must be able to serve from: check-config chooses the
    /// model as `run` does, so a file that does not fit the config or is damaged fails here, at
    /// its line and column, instead of at the next start; an absent one is a warning.
    @Test func checkConfigFindsAModelFileThatCannotServe() throws {
        let scratch = try Scratch(config: "")
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        let saved = scratch.state + "/built-in.swm"   // the built-in model: 2 layers of 32
        let (savedCode, _, savedErr) = try DaemonProcess.run(["replay", "--config", DaemonProcess.repository + "/config/surgewatch.toml",
            "--no-learn", "--input", ReplayCommandTests.trace, "--output", scratch.directory + "/p.csv", "--save-model", saved])
        #expect(savedCode == 0, "\(savedErr)")

        try scratch.write(config: "[model]\npath = \"built-in.swm\"\n")
        let (fitCode, fitOut, fitErr) = try DaemonProcess.run(["check-config", "--state-dir", scratch.state, scratch.config])
        #expect(fitCode == 0 && fitOut.contains("model: \(saved) (window 30 ticks, horizon 3, ticks of 10s)\n") && fitErr.isEmpty, "\(fitOut)\(fitErr)")

        try scratch.write(config: "[model]\nhidden = 16\npath = \"built-in.swm\"\n")
        let (misfitCode, misfitOut, misfitErr) = try DaemonProcess.run(["check-config", "--state-dir", scratch.state, scratch.config])
        #expect(misfitCode == 1 && misfitOut.isEmpty, "no 'valid' line: \(misfitOut)")
        #expect(misfitErr == "\(scratch.config):3:8: model.path: \(saved): this model does not fit the config: it has 2 layers of 32, the config asks for 2 of 16\n")

        try "not a model".write(toFile: scratch.state + "/damaged.swm", atomically: true, encoding: .utf8)
        try scratch.write(config: "[model]\npath = \"damaged.swm\"\n")
        let (damagedCode, _, damagedErr) = try DaemonProcess.run(["check-config", "--state-dir", scratch.state, scratch.config])
        #expect(damagedCode == 1)
        #expect(damagedErr.hasPrefix("\(scratch.config):2:8: model.path: \(scratch.state)/damaged.swm: "), "\(damagedErr)")

        try scratch.write(config: "[model]\npath = \"absent.swm\"\n")
        let (absentCode, absentOut, absentErr) = try DaemonProcess.run(["check-config", "--state-dir", scratch.state, scratch.config])
        #expect(absentCode == 0 && absentOut.contains("model: the built-in default model"), "\(absentOut)")
        #expect(absentErr == "warning: \(scratch.config): model.path cannot be read (\(scratch.state)/absent.swm: no such file), so the daemon predicts from the built-in default model instead\n")
    }
}
