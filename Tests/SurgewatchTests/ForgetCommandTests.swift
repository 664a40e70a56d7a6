import Foundation
import Testing
import SurgeConfig
import SurgeDetection
import SurgeSampling
import SurgeStore

/// `surgewatch forget`, the real binary on a real database: a span of ticks whose metrics were
/// wrong leaves the samples, predictions and learned weights, so online learning neither
/// recalls nor keeps what it learned from them; alerts stay.
@Suite final class ForgetCommandTests {
    let directory = NSTemporaryDirectory() + "surgewatch-forget-\(UUID().uuidString.prefix(8))"
    var database: String { directory + "/surgewatch.db" }
    /// Ticks every 10 s from 1,000 s to 3,000 s; the span forgotten is 1,500-1,700 s.
    static let from = 1500.0, to = 1700.0

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// 201 ticks, their predictions, a checkpoint every 300 s (1,200 to 2,700 s), an alert
    /// fired inside the span and the weights referee's record saved at the end.
    func writeHistory() throws {
        let store = try SurgeStore(path: database)
        let schema = MetricSchema(["cpu_busy", "http_p99_ms"])
        for tick in 0...200 {
            let time = 1000 + Double(tick) * 10
            store.stage(Sample(timestamp: time, tick: tick + 1, schema: schema, values: [0.4, time >= Self.from && time <= Self.to ? 9000 : 80]))
            store.stage(PredictionRecord(timestamp: time, tick: tick + 1, probability: 0.1, state: "normal", label: time >= Self.from && time <= Self.to))
        }
        store.stage(AlertEvent(alertID: "bogus", event: .fired, kind: .breached, at: 1510, probability: 0.2, peakProbability: 0.2, horizonSeconds: 30))
        try store.commit()
        for time in stride(from: 1200.0, through: 2700, by: 300) {
            try store.saveCheckpoint(version: 2, model: [1, 2, 3], metricsJSON: "{}", at: time)
        }
        try store.saveRefereeRecord([0], ticks: 201, context: "{}", at: 3000)
    }

    func count(_ sql: String) throws -> Int64? {
        try count(database, sql)
    }

    func count(_ path: String, _ sql: String) throws -> Int64 {
        try SQLiteDatabase(path: path, mode: .readOnly).rows(sql).first?.first?.integer ?? 0
    }

    func forget(_ extra: [String]) throws -> (Int32?, String, String) {
        try DaemonProcess.run(["forget", "--db", database, "--from", RFC3339.format(Self.from), "--to", RFC3339.format(Self.to)] + extra)
    }

    @Test func saysWhatItWouldForgetThenForgetsItWithYes() throws {
        try writeHistory()
        let (previewCode, preview, previewErr) = try forget([])
        #expect(previewCode == 0, "\(previewErr)")
        let span = "\(database), 1970-01-01T00:25:00Z to 1970-01-01T00:28:20Z"
        #expect(preview == "\(span): would forget 21 ticks' samples, 21 predictions, 5 checkpoints, the weights referee's record; "
                + "learning resumes from the checkpoint saved 1970-01-01T00:20:00Z. Alerts are kept.\n"
                + "Nothing was changed: run this again with --yes (a running daemon forgets it itself).\n", "\(preview)")
        #expect(try count("SELECT count(*) FROM samples") == 201 && count("SELECT count(*) FROM checkpoints") == 6, "the preview changes nothing")

        // The database belongs to the unit's user; the tool runs as root and makes the lock file.
        let owner: UInt32 = getuid() == 0 ? 65534 : getuid()
        #expect(chown(database, owner, owner) == 0)
        let (code, out, err) = try forget(["--yes"])
        #expect(code == 0, "\(err)")
        let lock = try FileManager.default.attributesOfItem(atPath: database + ".lock")
        #expect((lock[.ownerAccountID] as? NSNumber)?.uint32Value == owner, "the lock file is the database owner's, for the daemon to open: \(lock)")
        // forget held it without saying it takes requests: a second forget must not signal it.
        #expect(try !String(contentsOfFile: database + ".lock", encoding: .utf8).contains(ForgetRequest.lockToken))
        #expect(out == "\(span): forgot 21 ticks' samples, 21 predictions, 5 checkpoints, the weights referee's record; "
                + "learning resumes from the checkpoint saved 1970-01-01T00:20:00Z. Alerts are kept.\n", "\(out)")
        #expect(try count("SELECT count(*) FROM samples") == 180 && count("SELECT count(*) FROM predictions") == 180)
        #expect(try count("SELECT count(*) FROM samples WHERE http_p99_ms > 1000") == 0, "the wrong values are gone")
        #expect(try count("SELECT count(*) FROM samples WHERE ts < 1500 OR ts > 1700") == 180, "the ticks around them stay")
        #expect(try SQLiteDatabase(path: database, mode: .readOnly).rows("SELECT created_at FROM checkpoints") == [[.real(1200)]],
                "the checkpoint of before the span is what learning resumes from")
        #expect(try count("SELECT count(*) FROM referee_record") == 0)
        #expect(try count("SELECT count(*) FROM alerts WHERE id = 'bogus'") == 1, "alerts were sent: they stay")

        let (againCode, again, _) = try forget(["--yes"])
        #expect(againCode == 0 && again.contains("forgot 0 ticks' samples, 0 predictions, 0 checkpoints; no checkpoint was saved since it began."),
                "\(again)")
    }

    /// With a daemon running on the database, `forget --yes` asks it (SIGUSR1 and a request
    /// file) rather than refuse: the daemon holds what it learned from the span and would save
    /// it again, so it forgets the span itself between two ticks and starts its pipeline again
    /// from the checkpoint of before it, and goes on ticking. Its journal entry is the
    /// catalogued one, with the same fields as forget's own.
    @Test func aRunningDaemonForgetsTheSpanItself() throws {
        let scratch = try Scratch(config: DaemonEndToEndTests.config(procRoot: DaemonEndToEndTests.fixtures + "/t2"))
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        let path = scratch.state + "/surgewatch.db"
        // Weights learned here until an hour ago, and again a minute ago: the second inside
        // the span forgotten below, the first before it.
        let now = Double(time(nil))
        let store = try SurgeStore(path: path)
        let weights = ModelCatalog.fresh(SurgeConfig()).encoded()
        try store.saveCheckpoint(version: 2, model: weights, metricsJSON: "{}", at: now - 3600)
        try store.saveCheckpoint(version: 2, model: weights, metricsJSON: "{}", at: now - 60)
        let before = RFC3339.format(now - 3600), inside = RFC3339.format(now - 60)
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-interval", "50ms", "--tick-output", "none"])
        #expect(daemon.waitFor(.seconds(15)) { $0.stderr.contains("with the weights learned on this host until \(inside)") }, "\(daemon.stderr)")
        #expect(daemon.waitFor(.seconds(15)) { _ in (try? self.count(path, "SELECT count(*) FROM samples")) ?? 0 >= 10 }, "\(daemon.stderr)")
        let lock = try String(contentsOfFile: path + ".lock", encoding: .utf8)
        #expect(lock == "\(daemon.process.processIdentifier)\n\(ForgetRequest.lockToken)\n", "the lock says it takes requests: \(lock)")

        let from = now - 120
        let (code, out, err) = try DaemonProcess.run(["forget", "--db", path, "--from", RFC3339.format(from), "--yes"])
        #expect(code == 0, "\(err)")
        #expect(out.contains(": forgot ") && out.contains(" ticks' samples, ") && out.contains(", 1 checkpoint; learning resumes from the checkpoint saved \(before). "
                             + "Alerts are kept. The running surgewatch (pid \(daemon.process.processIdentifier)) forgot it and started its pipeline again from what stays.\n"),
                "\(out)")
        // The answer (forget's exit) can come before the daemon's log lines are through the pipe.
        #expect(daemon.waitFor(.seconds(5)) { $0.stderr.contains("The pipeline started again from what stays") }, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("message_id=b0bccefe11b3491598daa8453785a531"), "the catalogued entry's id: \(daemon.stderr)")
        #expect(daemon.stderr.contains("with the weights learned on this host until \(before)"), "the new pipeline starts from before the span: \(daemon.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path + ".forget") && !FileManager.default.fileExists(atPath: path + ".forgotten"))
        let answeredAt = Double(time(nil))
        #expect(try SQLiteDatabase(path: path, mode: .readOnly).rows("SELECT created_at FROM checkpoints") == [[.real(now - 3600)]])
        // It goes on ticking, and the span holds nothing but what came after the answer.
        let stored = try count(path, "SELECT count(*) FROM samples")
        #expect(daemon.waitFor(.seconds(15)) { _ in ((try? self.count(path, "SELECT count(*) FROM samples")) ?? 0) > stored + 5 }, "\(daemon.stderr)")
        #expect(try count(path, "SELECT count(*) FROM samples WHERE ts < \(answeredAt - 1)") == 0, "every tick before the request went")

        // Another forget's request, still within its wait, is not overwritten; one left long
        // ago by a forget that stopped waiting is replaced.
        try "1 2\n".write(toFile: path + ".forget", atomically: true, encoding: .utf8)
        let (busyCode, _, busyErr) = try DaemonProcess.run(["forget", "--db", path, "--from", "1h", "--yes"])
        #expect(busyCode == 1 && busyErr.contains("another surgewatch forget is waiting for the running surgewatch (pid \(daemon.process.processIdentifier)) "
                                                  + "to answer its request (\(path).forget); run this again once it has; nothing was changed"), "\(busyErr)")
        var old = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path + ".forget", &old, 0) == 0)
        let (staleCode, stale, staleErr) = try DaemonProcess.run(["forget", "--db", path, "--from", "1h", "--yes"])
        #expect(staleCode == 0 && stale.contains("The running surgewatch (pid \(daemon.process.processIdentifier)) forgot it"), "\(stale)\(staleErr)")

        // A request that holds no span is answered as one, and nothing goes.
        try "yesterday\n".write(toFile: path + ".forget", atomically: true, encoding: .utf8)
        daemon.signal(SIGUSR1)
        #expect(daemon.waitFor(.seconds(15)) { $0.stderr.contains("holds no span") }, "\(daemon.stderr)")
        #expect(daemon.waitFor(.seconds(5)) { _ in (try? String(contentsOfFile: path + ".forgotten", encoding: .utf8)) == "error: the request held no span; nothing was forgotten\n" })
        // One it cannot read (here a directory; under the unit, a file root wrote 0600) is
        // answered with why, not taken for no request, which would leave forget waiting.
        unlink(path + ".forgotten")
        try FileManager.default.createDirectory(atPath: path + ".forget", withIntermediateDirectories: false)
        daemon.signal(SIGUSR1)
        let unreadable = "error: the request could not be read (\(path).forget: Is a directory); nothing was forgotten\n"
        #expect(daemon.waitFor(.seconds(15)) { _ in (try? String(contentsOfFile: path + ".forgotten", encoding: .utf8)) == unreadable }, "\(daemon.stderr)")
        // The answer file can be there before the log line has come through the pipe.
        #expect(daemon.waitFor(.seconds(5)) { $0.stderr.contains("surgewatch forget: its request cannot be read: \(path).forget: Is a directory; nothing forgotten") },
                "\(daemon.stderr)")
        try FileManager.default.removeItem(atPath: path + ".forget")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(15)) == 0, "\(daemon.stderr)")
        #expect(try SQLiteDatabase(path: path, mode: .readOnly).rows("SELECT created_at FROM checkpoints") == [[.real(now - 3600)]],
                "the stop saved no weights learned from the span")
    }

    /// What the running daemon learned from the span goes with it: a daemon that has taken
    /// learning steps on the span (a fresh model, CPU pressure flipping between two fixture
    /// trees so both classes come) forgets every tick, and its stop then saves no checkpoint,
    /// where the pipeline of before would have saved the weights of its steps.
    @Test func whatTheRunningDaemonLearnedFromTheSpanIsNotSaved() throws {
        let host = try FlippingHost(model: "hidden = 4\nlayers = 1")
        let scratch = host.scratch
        let start = Double(time(nil)) - 1
        let flipper = host.startFlipping()
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-interval", "100ms", "--tick-output", "none"])
        let learned = daemon.waitFor(.seconds(60)) { $0.stderr.contains("online learning: ") }
        // From here on every tick is of one class: the pipeline after the forget learns nothing.
        flipper.stop()
        #expect(learned, "\(daemon.stderr)")
        let path = scratch.state + "/surgewatch.db"
        #expect(try count(path, "SELECT count(*) FROM checkpoints") == 0, "none saved yet (every few minutes)")
        let (code, out, err) = try DaemonProcess.run(["forget", "--db", path, "--from", RFC3339.format(start), "--yes"])
        #expect(code == 0 && out.contains(", 0 checkpoints; no checkpoint was saved since it began. Alerts are kept. The running surgewatch"),
                "\(out)\(err)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(15)) == 0, "\(daemon.stderr)")
        #expect(try count(path, "SELECT count(*) FROM checkpoints") == 0, "the stop saved no weights: \(daemon.stderr)")
        #expect(!daemon.stderr.contains("checkpoint saved"), "\(daemon.stderr)")
    }

    /// A surgewatch from before the requests (its lock file names only its pid) would end on
    /// SIGUSR1: forget refuses as it did, and changes nothing.
    @Test func refusesADaemonThatTakesNoRequest() throws {
        try writeHistory()
        let fd = open(database + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        defer { close(fd) }
        let pid = getpid()
        _ = Array("\(pid)\n".utf8).withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        let (code, out, err) = try forget(["--yes"])
        #expect(code == 1 && out.isEmpty)
        #expect(err == "surgewatch: another surgewatch (pid \(pid)) is running on \(database), one that takes no request to forget: "
                + "stop it first (systemctl stop surgewatch), then forget, then start it; nothing was changed\n", "\(err)")
        #expect(try count("SELECT count(*) FROM samples") == 201 && !FileManager.default.fileExists(atPath: database + ".forget"))
    }

    @Test func badTimesAreNamed() throws {
        try writeHistory()
        for (arguments, message) in [
            (["--from", "yesterday"], "--from: expected a time such as 2026-12-07T10:00:00Z or a duration such as 3h, got yesterday"),
            (["--from", "2026-12-07T10:00:00"], "--from: give the time's offset from UTC (Z or +08:00), got 2026-12-07T10:00:00"),
            (["--from", "2h", "--to", "3h"], "--to (")] {
            let (code, _, err) = try DaemonProcess.run(["forget", "--db", database] + arguments)
            #expect(code == 64, "\(arguments): \(err)")
            #expect(err.contains(message), "\(arguments): \(err)")
        }
        #expect(try count("SELECT count(*) FROM samples") == 201)
        let (code, _, err) = try DaemonProcess.run(["forget", "--db", directory + "/none.db", "--from", "1h"])
        #expect(code == 1 && err.contains("no database there"), "\(err)")
    }
}
