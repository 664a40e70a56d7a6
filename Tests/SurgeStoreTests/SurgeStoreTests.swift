import Foundation
import Testing
import SurgeDetection
import SurgeSampling
@testable import SurgeStore

/// Real SQLite files in a scratch directory.
@Suite final class SurgeStoreTests {
    let directory: String
    let schema = MetricSchema(["cpu_busy", "load1", "tcp_established"])

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    init() throws {
        directory = NSTemporaryDirectory() + "surgewatch-store-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    var path: String { directory + "/surgewatch.db" }

    func sample(_ tick: Int, at time: Double, _ values: [Double]) -> Sample {
        Sample(timestamp: time, tick: tick, schema: schema, values: values)
    }

    func fired(_ id: String, at time: Double, kind: AlertEvent.Kind = .predicted) -> AlertEvent {
        AlertEvent(alertID: id, event: .fired, kind: kind, at: time, probability: 0.91, peakProbability: 0.91, horizonSeconds: 30,
                   topFeatures: [.init(name: "tcp_listen_overflows_per_s", baseline: 0, recent: 412)])
    }

    func count(_ store: SurgeStore, _ table: String) throws -> Int64 {
        try store.rows("SELECT count(*) FROM \(table)").first?.first?.integer ?? -1
    }

    @Test func migratesFromEmptyAndFromEveryEarlierVersion() throws {
        for start in 0..<StoreSchema.latestVersion {
            let file = directory + "/from-\(start).db"
            do {
                let old = try SQLiteDatabase(path: file)
                try StoreSchema.migrate(old, upTo: start)
                #expect(try old.userVersion() == start)
                if start >= 1 {
                    try old.run("INSERT INTO alerts (id, kind, fired_at, peak_probability, horizon_seconds, message) VALUES ('kept', 'predicted', 1, 0.9, 30, 'm')")
                }
            }
            let store = try SurgeStore(path: file)
            #expect(try store.rows("PRAGMA user_version").first?.first?.integer == Int64(StoreSchema.latestVersion))
            if start >= 1 { #expect(try count(store, "alerts") == 1, "rows of version \(start) survive") }
            #expect(try count(store, "referee_record") == 0, "version 2's table, from version \(start)")
            #expect(try store.rows("PRAGMA journal_mode").first?.first?.text == "wal")
        }
        // Opening an up-to-date file again changes nothing.
        let again = try SurgeStore(path: directory + "/from-0.db")
        #expect(try again.rows("PRAGMA user_version").first?.first?.integer == Int64(StoreSchema.latestVersion))
    }

    /// `surgewatch forget` on a file an older surgewatch left at schema version 1 (no referee
    /// record yet): counted and deleted all the same, the file left at its version.
    @Test func aSpanIsForgottenInAFileOfTheFirstSchema() throws {
        do {
            let old = try SQLiteDatabase(path: path)
            try StoreSchema.migrate(old, upTo: 1)
            for tick in 1...10 { try old.run("INSERT INTO samples (ts, tick) VALUES (?1, ?2)", [.real(Double(tick) * 10), .integer(Int64(tick))]) }
            try old.run("INSERT INTO checkpoints (created_at, version, model) VALUES (55, 2, x'00')")
        }
        let found = try ForgottenSpan.find(in: path, from: 30, to: 60)
        #expect(found.samples == 4 && found.checkpoints == 1 && !found.refereeRecord && found.resumesFrom == nil, "\(found)")
        #expect(try ForgottenSpan.forget(in: path, from: 30, to: 60) == found)
        let left = try SQLiteDatabase(path: path, mode: .readOnly)
        #expect(try left.rows("SELECT tick FROM samples ORDER BY id").compactMap { $0[0].integer } == [1, 2, 7, 8, 9, 10])
        #expect(try left.userVersion() == 1 && left.rows("SELECT count(*) FROM checkpoints") == [[.integer(0)]])
    }

    /// What forget says it holds, one of each in the singular.
    @Test func aSpanSaysWhatItHolds() {
        var span = ForgottenSpan(from: 0, to: 10)
        (span.samples, span.predictions, span.checkpoints) = (1, 1, 1)
        #expect(span.summary == "1 tick's samples, 1 prediction, 1 checkpoint")
        (span.samples, span.predictions, span.checkpoints, span.refereeRecord) = (21, 21, 0, true)
        #expect(span.summary == "21 ticks' samples, 21 predictions, 0 checkpoints, the weights referee's record")
    }

    @Test func theRefereesRecordIsOneRowReplacedEachTime() throws {
        let store = try SurgeStore(path: path)
        #expect(try store.refereeRecord() == nil)
        try store.saveRefereeRecord([1, 2, 3], ticks: 3, context: "first", at: 100)
        try store.saveRefereeRecord([4, 5, 6, 7], ticks: 4, context: "second", at: 200)
        #expect(try count(store, "referee_record") == 1)
        let stored = try #require(try store.refereeRecord())
        #expect(stored.record == [4, 5, 6, 7] && stored.context == "second" && stored.savedAt == 200)
        #expect(try store.rows("SELECT ticks FROM referee_record").first?.first?.integer == 4)
    }

    @Test func aNewerSchemaIsRefusedAndLeftAlone() throws {
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute("PRAGMA user_version = \(StoreSchema.latestVersion + 1)")
        }
        #expect(throws: StoreError.newerSchema(path: path, version: StoreSchema.latestVersion + 1, supported: StoreSchema.latestVersion)) {
            _ = try SurgeStore(path: path)
        }
        #expect(try SQLiteDatabase(path: path).userVersion() == StoreSchema.latestVersion + 1)
    }

    @Test func aFileThatIsNotADatabaseIsNamedAndLeftAsItWas() throws {
        let text = String(repeating: "not sqlite at all\n", count: 100)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try SurgeStore(path: path)
            Issue.record("opened a text file")
        } catch let error as StoreError {
            #expect(error.description == "\(path): not a surgewatch database: file is not a database; it was not changed (move it away, or set [store] path to another file)")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
    }

    /// A state directory that is not there yet (not mounted, a full disk): the store starts
    /// closed, every write fails and keeps its rows, and the first call after the directory
    /// appears opens the file, closes the alerts an earlier run left open, then writes.
    @Test func aFileThatCannotOpenYetIsWaitedForAndItsRowsKept() throws {
        let later = directory + "/not-yet"
        let laterPath = later + "/surgewatch.db"
        #expect(throws: SQLiteError.self, "without waiting, the start fails") { _ = try SurgeStore(path: laterPath) }
        let store = try SurgeStore(path: laterPath, waitingForTheFile: true)
        #expect(store.unavailable?.contains("unable to open database file") == true, "\(String(describing: store.unavailable))")
        store.stage(sample(1, at: 1, [0.1, 1, 1]))
        try SQLiteAlertSink(store: store).deliver(fired("now", at: 1))
        do {
            try store.commit()
            Issue.record("wrote to a directory that is not there")
        } catch let error as StoreError {
            #expect(error.description.hasPrefix("not open: "), "\(error)")
        }
        #expect(throws: StoreError.self) { _ = try store.latestCheckpoint() }
        #expect(store.pendingCount == 2, "the sample and the alert wait")

        // The directory appears, holding the database of an earlier run with an alert left open.
        try FileManager.default.createDirectory(atPath: later, withIntermediateDirectories: true)
        do {
            let earlier = try SurgeStore(path: laterPath)
            try SQLiteAlertSink(store: earlier).deliver(fired("left-open", at: 0.5))
            try earlier.commit()
        }
        store.stage(sample(2, at: 2, [0.2, 1, 1]))
        try store.commit()
        #expect(store.unavailable == nil && store.pendingCount == 0)
        #expect(try count(store, "samples") == 2)
        let closed = store.takeAlertsClosedLate()
        #expect(closed.map(\.id) == ["left-open"] && closed.first?.resolvedAt == store.startedAt)
        #expect(store.takeAlertsClosedLate().isEmpty, "said once")
        #expect(try store.rows("SELECT id, resolved_at IS NULL FROM alerts ORDER BY fired_at")
                == [[.text("left-open"), .integer(0)], [.text("now"), .integer(1)]], "this run's alert stays open")
    }

    @Test func waitingForTheFileStillRefusesOneThatIsNotADatabase() throws {
        try String(repeating: "not sqlite at all\n", count: 100).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: StoreError.self) { _ = try SurgeStore(path: path, waitingForTheFile: true) }
    }

    @Test func ticksBecomeRowsWithNullForMissingAndNewColumnsForNewMetrics() throws {
        let store = try SurgeStore(path: path)
        store.stage(sample(1, at: 100, [.nan, 0.5, 4]))
        store.stage(PredictionRecord(timestamp: 100, tick: 1, probability: nil, state: "warming_up", label: nil))
        try store.commit()
        let wider = MetricSchema(["cpu_busy", "load1", "tcp_established", "http_p99_ms"])
        store.stage(Sample(timestamp: 110, tick: 2, schema: wider, values: [0.25, 0.75, 5, 1200]))
        try store.commit()
        let rows = try store.rows("SELECT tick, cpu_busy, load1, tcp_established, http_p99_ms FROM samples ORDER BY id")
        #expect(rows == [
            [.integer(1), .null, .real(0.5), .real(4), .null],
            [.integer(2), .real(0.25), .real(0.75), .real(5), .real(1200)],
        ])
        #expect(try store.rows("SELECT probability, state, label FROM predictions") == [[.null, .text("warming_up"), .null]])
        #expect(store.pendingCount == 0)
    }

    @Test func anAlertIsOneRowThroughFireEscalationAndResolve() throws {
        let store = try SurgeStore(path: path)
        let sink = SQLiteAlertSink(store: store)
        try sink.deliver(fired("a1", at: 1000))
        try store.commit()
        var escalation = fired("a1", at: 1030, kind: .breached)
        escalation.escalatedFrom = .predicted
        escalation.peakProbability = 0.97
        try sink.deliver(escalation)
        try sink.deliver(AlertEvent(alertID: "a1", event: .resolved, kind: .breached, at: 1300, probability: 0.2,
                                    peakProbability: 0.97, horizonSeconds: 30, firedAt: 1000))
        try store.commit()
        let alerts = try AlertHistory(path: path).alerts(since: nil)
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.kind == .breached && alert.firedAt == 1000 && alert.escalatedAt == 1030 && alert.resolvedAt == 1300)
        #expect(alert.peakProbability == 0.97)
        #expect(alert.message == "overload predicted within 30s (p=0.91): tcp_listen_overflows_per_s 0 -> 412/s")
        #expect(alert.topFeaturesJSON == #"[{"name":"tcp_listen_overflows_per_s","baseline":0,"recent":412}]"#)
        #expect(try AlertHistory(path: path).alerts(since: 1001).isEmpty)
    }

    @Test func aCommitThatFailsKeepsItsRowsForTheNext() throws {
        let store = try SurgeStore(path: path)
        // Another writer holds the lock past the busy timeout: a real SQLITE_BUSY.
        let other = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: 0)
        try other.execute("BEGIN IMMEDIATE")
        store.stage(sample(1, at: 1, [0.1, 1, 1]))
        try SQLiteAlertSink(store: store).deliver(fired("busy", at: 1))
        do {
            try store.commit()
            Issue.record("commit succeeded against a held lock")
        } catch let error as SQLiteError {
            #expect(error.isBusy)
        }
        #expect(store.pendingCount == 2)
        store.stage(sample(2, at: 2, [0.2, 1, 1]))
        try other.execute("COMMIT")
        try store.commit()
        #expect(try count(store, "samples") == 2)
        #expect(try count(store, "alerts") == 1)
        #expect(store.pendingCount == 0)
    }

    @Test func stagedSamplesAndPredictionsAreBoundedWhileCommitsFail() throws {
        let store = try SurgeStore(path: path, maxPendingTicks: 5)
        for tick in 1...8 {
            store.stage(sample(tick, at: Double(tick), [0, 0, 0]))
            store.stage(PredictionRecord(timestamp: Double(tick), tick: tick, probability: 0.1, state: "normal", label: false))
        }
        try SQLiteAlertSink(store: store).deliver(fired("kept", at: 1))
        #expect(store.pendingCount == 5 + 5 + 1, "alert events are never dropped")
        #expect(store.droppedSamples == 3 && store.droppedPredictions == 3)
        try store.commit()
        #expect(try store.rows("SELECT min(tick), max(tick) FROM samples") == [[.integer(4), .integer(8)]])
        #expect(try store.rows("SELECT min(tick), max(tick) FROM predictions") == [[.integer(4), .integer(8)]])
        #expect(try count(store, "alerts") == 1)
    }

    /// SQLite's own page limit gives a real SQLITE_FULL, as a full disk does. The failing
    /// transaction also added a column for a new metric (a source a reload added); its rollback
    /// took the column back, and the next commit must add it again, not insert into nothing.
    @Test func aFullDatabaseKeepsItsRowsAndTheirNewColumnUntilThereIsRoom() throws {
        let store = try SurgeStore(path: path)
        store.stage(sample(1, at: 1, [0.1, 1, 1]))
        try store.commit()
        let pages = try #require(try store.rows("PRAGMA page_count").first?.first?.integer)
        _ = try store.rows("PRAGMA max_page_count = \(pages)")
        let wider = MetricSchema(["cpu_busy", "load1", "tcp_established", "http_p99_ms"])
        for tick in 2...400 {
            store.stage(Sample(timestamp: Double(tick), tick: tick, schema: wider, values: [0.2, 1, 1, 250]))
        }
        do {
            try store.commit()
            Issue.record("399 rows fit in a database that may not grow")
        } catch let error as SQLiteError {
            #expect(error.isFull, "\(error)")
        }
        #expect(store.pendingCount == 399)
        #expect(try store.rows("PRAGMA table_info(samples)").compactMap { $0[1].text }.contains("http_p99_ms") == false)
        _ = try store.rows("PRAGMA max_page_count = 1000000")
        try store.commit()
        #expect(try count(store, "samples") == 400)
        #expect(try store.rows("SELECT count(http_p99_ms), max(tick) FROM samples") == [[.integer(399), .integer(400)]])
        #expect(store.pendingCount == 0 && store.droppedSamples == 0)
    }

    @Test func retentionPrunesInSmallBatches() throws {
        let store = try SurgeStore(path: path)
        for tick in 1...1200 {
            store.stage(sample(tick, at: Double(tick), [0, 0, 0]))
            store.stage(PredictionRecord(timestamp: Double(tick), tick: tick, probability: 0.1, state: "normal", label: false))
            if tick % 100 == 0 { try store.commit() }
        }
        try SQLiteAlertSink(store: store).deliver(fired("old-open", at: 10))
        try SQLiteAlertSink(store: store).deliver(fired("old-closed", at: 20))
        try SQLiteAlertSink(store: store).deliver(AlertEvent(alertID: "old-closed", event: .resolved, kind: .predicted, at: 30,
                                                             probability: 0, peakProbability: 0.9, horizonSeconds: 30))
        try store.commit()
        for day in 0..<12 { try store.saveCheckpoint(version: 1, model: [UInt8(day)], metricsJSON: "{}", at: Double(day)) }

        // Everything before t=1001 is old: 1000 samples and predictions, one resolved alert, 2 checkpoints.
        let first = try store.prune(olderThan: 1001, batch: 500)
        #expect(try count(store, "samples") == 700)
        #expect(try count(store, "predictions") == 700)
        #expect(try count(store, "alerts") == 1, "the open alert is kept whatever its age")
        #expect(try count(store, "checkpoints") == 10, "the newest 10 checkpoints stay")
        #expect(first == 500 + 500 + 1 + 2)
        _ = try store.prune(olderThan: 1001, batch: 500)
        #expect(try count(store, "samples") == 200)
        #expect(try store.prune(olderThan: 1001, batch: 500) == 0)
        #expect(try store.rows("SELECT min(tick) FROM samples") == [[.integer(1001)]])
    }

    @Test func alertsLeftOpenAreClosedAtRestartWithANote() throws {
        do {
            let store = try SurgeStore(path: path)
            try SQLiteAlertSink(store: store).deliver(fired("crashed", at: 500))
            try store.commit()
        }
        let reopened = try SurgeStore(path: path)
        let closed = try reopened.closeDanglingAlerts(at: 900)
        #expect(closed.map(\.id) == ["crashed"])
        let event = try #require(closed.first?.resolvedEvent)
        #expect(event.event == .resolved && event.at == 900 && event.note == AlertRecord.restartNote)
        #expect(AlertMessage.text(for: event) == "overload alert resolved after 6m40s (predicted, peak p=0.91): \(AlertRecord.restartNote)")
        let row = try #require(try AlertHistory(path: path).alerts(since: nil).first)
        #expect(row.resolvedAt == 900 && row.note == AlertRecord.restartNote)
        #expect(try reopened.closeDanglingAlerts(at: 950).isEmpty)
    }

    /// A quick restart goes on with the alert it finds open (the newest); any other is closed.
    @Test func theAlertARestartContinuesIsLeftOpen() throws {
        do {
            let store = try SurgeStore(path: path)
            try SQLiteAlertSink(store: store).deliver(fired("older", at: 400))
            try SQLiteAlertSink(store: store).deliver(fired("newest", at: 500))
            try store.commit()
        }
        let reopened = try SurgeStore(path: path)
        #expect(try reopened.openAlerts().map(\.id) == ["newest", "older"])
        #expect(try reopened.closeDanglingAlerts(at: 900, continuing: "newest").map(\.id) == ["older"])
        #expect(try reopened.openAlerts().map(\.id) == ["newest"])
        let rows = try AlertHistory(path: path).alerts(since: nil)
        #expect(rows.map(\.resolvedAt) == [nil, 900])
    }

    @Test func checkpointsRoundTrip() throws {
        let store = try SurgeStore(path: path)
        #expect(try store.latestCheckpoint() == nil)
        try store.saveCheckpoint(version: 1, model: [1, 2, 3], metricsJSON: #"{"loss":0.2}"#, at: 10)
        try store.saveCheckpoint(version: 1, model: [4, 5], metricsJSON: "{}", at: 20)
        let latest = try #require(try store.latestCheckpoint())
        #expect(latest.model == [4, 5] && latest.createdAt == 20 && latest.version == 1)
    }

    @Test func historyRefusesFilesItCannotRead() throws {
        #expect(throws: (any Error).self) { _ = try AlertHistory(path: directory + "/missing.db") }
        _ = try SQLiteDatabase(path: path)  // an empty SQLite file, schema version 0
        #expect(throws: StoreError.notADatabase(path: path, reason: "no surgewatch tables (schema version 0)")) {
            _ = try AlertHistory(path: path)
        }
    }
}
