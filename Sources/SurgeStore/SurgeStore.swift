#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SurgeDetection
import SurgeSampling

/// The daemon's database: samples, predictions, alerts, model checkpoints.
///
/// A tick stages its rows and `commit()` writes them in one transaction. A commit that fails
/// (disk full, a lock held too long) keeps the staged rows and the next commit tries again, so
/// nothing committed is ever lost and a passing fault loses nothing either; past
/// `maxPendingTicks` the oldest staged samples and predictions are dropped and counted (alert
/// events are few and always kept).
///
/// Opened with `waitingForTheFile`, a file that cannot be opened at start (a full disk, a
/// state directory not mounted yet) does not stop the daemon: the store starts closed, every
/// call tries to open it again, and until then writes fail like any failed commit, so the rows
/// wait. A file that is not a surgewatch database, or of a newer schema, is still refused.
///
/// With `settingAsideDamage`, a file SQLite finds damaged (at start, or when a write or the
/// retention meets a bad page) is moved aside and a new one started (`SetAsideDatabase`).
public final class SurgeStore: Sendable {
    public let path: String
    public let maxPendingTicks: Int
    public let settingAsideDamage: Bool
    /// When this store was made (Unix seconds): the restart time alerts left open are closed at.
    public let startedAt: Double
    private let state: Mutex<State>

    struct State {
        var database: SQLiteDatabase?
        /// Why the file could not be opened, while it cannot.
        var unavailable: String?
        /// Alerts left open before this start, closed when the file opened late (to be said).
        var closedLate: [AlertRecord] = []
        var sampleColumns: Set<String> = []
        var insertSample: (names: [String], statement: SQLiteStatement)?
        var insertPrediction: SQLiteStatement?
        var pendingSamples: [Sample] = []
        var pendingPredictions: [PredictionRecord] = []
        var pendingEvents: [AlertEvent] = []
        var droppedSamples = 0
        var droppedPredictions = 0
        /// Damaged files moved aside and not yet said.
        var setAside: [SetAsideDatabase] = []
        /// When a damaged file was last moved aside by this store (Unix seconds).
        var lastSetAsideAt: Double?
        /// The file the connection has open, to notice it removed or replaced under it.
        var identity: FileIdentity?
        /// Files found removed or replaced under the open connection, not yet said.
        var lostFiles: [LostDatabaseFile] = []

        /// A connection just opened at `path` becomes the one written to, with the file's
        /// columns and identity taken together, so that no open forgets one of them.
        mutating func use(_ opened: SQLiteDatabase, columns: Set<String>, at path: String) {
            database = opened
            sampleColumns = columns
            identity = FileIdentity(of: path)
        }
    }

    /// Opens (creating if needed) and migrates the file; WAL so readers never block the daemon.
    public init(path: String, maxPendingTicks: Int = 1000, waitingForTheFile: Bool = false, settingAsideDamage: Bool = false) throws {
        self.path = path
        self.maxPendingTicks = maxPendingTicks
        self.settingAsideDamage = settingAsideDamage
        startedAt = Double(time(nil))
        do {
            let (database, columns, setAside) = try Self.open(path, settingAsideDamage: settingAsideDamage, at: startedAt)
            var opened = State(setAside: setAside.map { [$0] } ?? [], lastSetAsideAt: setAside == nil ? nil : startedAt)
            opened.use(database, columns: columns, at: path)
            state = Mutex(opened)
        } catch let error where waitingForTheFile && !(error is StoreError) {
            state = Mutex(State(database: nil, unavailable: "\(error)"))
        }
    }

    private static func open(_ path: String) throws -> (SQLiteDatabase, Set<String>) {
        let database = try SQLiteDatabase(path: path)
        do {
            // WAL: readers never block the writer. synchronous=NORMAL: a commit survives a crash of
            // the process, only a power cut may lose the last ones. A small page cache: the daemon
            // appends, so SQLite's 2 MiB default would only grow the RSS (BENCHMARKS.md).
            // cell_size_check: a damaged page fails as damaged when it is read; without it, cell
            // offsets that point out of the page are masked into it and read as rows of garbage,
            // or as none, and the damage goes unseen (DamagedDatabase).
            try database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -512; PRAGMA cell_size_check = ON")
            try StoreSchema.migrate(database)
            try DamagedDatabase.check(database)
        } catch let error as SQLiteError where error.code & 0xFF == 26 /* SQLITE_NOTADB */ {
            throw StoreError.notADatabase(path: path, reason: error.message)
        } catch let error as SQLiteError where error.isDamaged {
            throw StoreError.damaged(path: path, reason: error.message)
        }
        let columns = try database.rows("PRAGMA table_info(samples)").compactMap { $0[1].text }
        return (database, Set(columns))
    }

    /// `open`, and with `settingAsideDamage` a damaged file moved aside (named for `time`) and
    /// a new one opened in its place, holding every row that could be read from the old.
    private static func open(_ path: String, settingAsideDamage: Bool, at time: Double) throws -> (SQLiteDatabase, Set<String>, SetAsideDatabase?) {
        if settingAsideDamage { try DamagedDatabase.finishInterruptedSwap(path) }
        do {
            let (database, columns) = try open(path)
            return (database, columns, nil)
        } catch StoreError.damaged(_, let reason) where settingAsideDamage {
            // `open` closed the damaged file as it threw (that close checkpoints a crashed run's
            // -wal into it where it can, as any close does): no connection to it is left to
            // write into it, or to unlink a -wal by its old name, after the move.
            return try replaceDamaged(path, reason: reason, at: time)
        }
    }

    private static func replaceDamaged(_ path: String, reason: String, at time: Double) throws -> (SQLiteDatabase, Set<String>, SetAsideDatabase) {
        let (movedTo, tables) = try DamagedDatabase.replace(path, at: time)
        let (database, columns) = try open(path)
        return (database, columns, SetAsideDatabase(path: path, movedTo: movedTo, reason: reason, tables: tables))
    }

    /// Runs `body` on the open connection. With `settingAsideDamage`, a damaged page met there
    /// moves the file aside (its connection and statements closed first) and `body` runs once
    /// more on the new file, so the rows staged go there. Once an hour at most: a disk that
    /// damages the new file too would otherwise have every tick copy the whole history, so
    /// meanwhile the damage fails the call like any fault, and the rows wait.
    private func onIntactFile<T>(_ state: inout State, _ body: (inout State, SQLiteDatabase) throws -> T) throws -> T {
        try forgetALostFile(&state)
        do {
            let database = try self.database(&state)
            return try body(&state, database)
        } catch let error as SQLiteError where error.isDamaged && settingAsideDamage {
            let now = Double(time(nil))
            if let last = state.lastSetAsideAt, now - last < 3600 { throw error }
            state.lastSetAsideAt = now
            state.insertSample = nil
            state.insertPrediction = nil
            state.database = nil
            let (database, columns, setAside) = try Self.replaceDamaged(path, reason: error.message, at: now)
            state.use(database, columns: columns, at: path)
            state.setAside.append(setAside)
            return try body(&state, database)
        }
    }

    /// Before a write: the file at `path` is no longer the one the connection has open (an
    /// operator removed it to start afresh, or moved another file there). Writing on would put
    /// every row into a file no one can open, gone at the next stop; so the connection is
    /// closed and the write opens the path anew: a new database, or the one moved there.
    /// One stat(2) a commit.
    ///
    /// The old connection's -wal stays at `path`-wal when its file is gone (SQLite does not
    /// checkpoint on close into an unlinked file), and the next connection at the path would
    /// read its frames as the new file's pages, and write them into it at its checkpoint. So
    /// it is emptied first, through the old connection. A new file needs that least (SQLite
    /// deletes the -wal of a database file of 0 bytes); for a file moved there, while a reader
    /// of the old file holds the -wal, the old connection stays open and this throws: the rows
    /// wait, and the next commit tries again.
    private func forgetALostFile(_ state: inout State) throws {
        guard let database = state.database, let known = state.identity else { return }
        let now = FileIdentity(of: path)
        guard now != known else { return }
        let emptied = (try? database.rows("PRAGMA wal_checkpoint(TRUNCATE)").first?.first) == .integer(0)
        if now != nil && !emptied {
            let reason = "\(path) was replaced while open, and a reader of the old file holds its -wal, which would be applied "
                + "to the file now there: it is opened once the reader is done"
            state.unavailable = reason
            throw StoreError.unavailable(path: path, reason: reason)
        }
        state.insertSample = nil
        state.insertPrediction = nil
        state.database = nil
        state.identity = nil
        state.lostFiles.append(LostDatabaseFile(path: path, replaced: now != nil))
    }

    /// Files found removed or replaced since the last call, to be said once each.
    public func takeLostFiles() -> [LostDatabaseFile] {
        state.withLock { state in
            defer { state.lostFiles = [] }
            return state.lostFiles
        }
    }

    /// Damaged files moved aside since the last call, to be said once each.
    public func takeSetAside() -> [SetAsideDatabase] {
        state.withLock { state in
            defer { state.setAside = [] }
            return state.setAside
        }
    }

    /// Why the file could not be opened yet; nil once it is open.
    public var unavailable: String? { state.withLock { $0.unavailable } }

    /// The open connection, opening the file first if it could not be before. A file opened
    /// late gets the restart's work done first: alerts an earlier run left open are closed at
    /// `startedAt` before any row of this run is written (`takeAlertsClosedLate`).
    private func database(_ state: inout State) throws -> SQLiteDatabase {
        if let database = state.database { return database }
        do {
            let now = Double(time(nil))
            let (database, columns, setAside) = try Self.open(path, settingAsideDamage: settingAsideDamage, at: now)
            state.closedLate = try Self.closeDanglingAlerts(database, at: startedAt)
            state.use(database, columns: columns, at: path)
            state.unavailable = nil
            if let setAside {
                state.setAside.append(setAside)
                state.lastSetAsideAt = now
            }
            return database
        } catch {
            state.unavailable = "\(error)"
            throw StoreError.unavailable(path: path, reason: "\(error)")
        }
    }

    /// Alerts an earlier run left open, closed when the file opened after this start; once.
    public func takeAlertsClosedLate() -> [AlertRecord] {
        state.withLock { state in
            defer { state.closedLate = [] }
            return state.closedLate
        }
    }

    // MARK: staging

    public func stage(_ sample: Sample) {
        state.withLock { state in
            state.pendingSamples.append(sample)
            keepNewest(&state.pendingSamples, dropped: &state.droppedSamples)
        }
    }

    public func stage(_ prediction: PredictionRecord) {
        state.withLock { state in
            state.pendingPredictions.append(prediction)
            keepNewest(&state.pendingPredictions, dropped: &state.droppedPredictions)
        }
    }

    /// Keeps the newest `maxPendingTicks` rows waiting, counting those dropped: a disk full for
    /// days must not grow the daemon without end.
    private func keepNewest<Row>(_ pending: inout [Row], dropped: inout Int) {
        let excess = pending.count - maxPendingTicks
        guard excess > 0 else { return }
        pending.removeFirst(excess)
        dropped += excess
    }

    public func stage(_ event: AlertEvent) {
        state.withLock { $0.pendingEvents.append(event) }
    }

    /// Samples dropped because commits kept failing for longer than `maxPendingTicks` ticks.
    public var droppedSamples: Int { state.withLock { $0.droppedSamples } }
    /// Predictions dropped for the same reason.
    public var droppedPredictions: Int { state.withLock { $0.droppedPredictions } }
    public var pendingCount: Int { state.withLock { $0.pendingSamples.count + $0.pendingPredictions.count + $0.pendingEvents.count } }
    /// The first and last tick of the samples staged and not yet written, or nil when none is:
    /// what an operator is told was lost when a last write fails.
    public var pendingTicks: ClosedRange<Int>? {
        state.withLock { state in
            guard let first = state.pendingSamples.first?.tick, let last = state.pendingSamples.last?.tick else { return nil }
            return first...last
        }
    }

    // MARK: commit

    /// Writes everything staged in one transaction; on failure it all stays staged.
    public func commit() throws {
        try state.withLock { state in
            guard !state.pendingSamples.isEmpty || !state.pendingPredictions.isEmpty || !state.pendingEvents.isEmpty else { return }
            try onIntactFile(&state) { state, database in
                do {
                    try Self.write(&state, to: database)
                } catch {
                    // The rollback also took back any column the transaction added: forget what it
                    // added, or the next commit would insert into a column that is not there.
                    state.insertSample = nil
                    if let columns = try? database.rows("PRAGMA table_info(samples)").compactMap({ $0[1].text }) {
                        state.sampleColumns = Set(columns)
                    }
                    throw error
                }
            }
            state.pendingSamples.removeAll(keepingCapacity: true)
            state.pendingPredictions.removeAll(keepingCapacity: true)
            state.pendingEvents.removeAll(keepingCapacity: true)
        }
    }

    private static func write(_ state: inout State, to database: SQLiteDatabase) throws {
        try database.transaction {
            for sample in state.pendingSamples {
                try Self.insert(sample, &state, database)
            }
            if !state.pendingPredictions.isEmpty {
                let insert = try state.insertPrediction
                    ?? database.prepare("INSERT INTO predictions (ts, tick, probability, state, label) VALUES (?1, ?2, ?3, ?4, ?5)")
                state.insertPrediction = insert
                for prediction in state.pendingPredictions {
                    try insert.bind([.real(prediction.timestamp), .integer(Int64(prediction.tick)),
                                     prediction.probability.map(SQLiteValue.real) ?? .null, .text(prediction.state),
                                     prediction.label.map { .integer($0 ? 1 : 0) } ?? .null])
                    while try insert.step() {}
                }
            }
            for event in state.pendingEvents {
                try Self.apply(event, database)
            }
        }
    }

    private static func insert(_ sample: Sample, _ state: inout State, _ database: SQLiteDatabase) throws {
        let names = sample.schema.names
        if state.insertSample?.names != names {
            for name in names where !state.sampleColumns.contains(name) {
                // Names are validated metric names ([a-z_][a-z0-9_]*); quoted all the same.
                try database.execute("ALTER TABLE samples ADD COLUMN \"\(name)\" REAL")
                state.sampleColumns.insert(name)
            }
            let columns = names.map { "\"\($0)\"" }.joined(separator: ", ")
            let placeholders = (0..<names.count).map { "?\($0 + 3)" }.joined(separator: ", ")
            let statement = try database.prepare("INSERT INTO samples (ts, tick, \(columns)) VALUES (?1, ?2, \(placeholders))")
            state.insertSample = (names, statement)
        }
        let statement = state.insertSample!.statement
        try statement.bind([.real(sample.timestamp), .integer(Int64(sample.tick))])
        for (offset, value) in sample.values.enumerated() {
            statement.bind(value, at: Int32(offset + 3))
        }
        while try statement.step() {}
    }

    private static func apply(_ event: AlertEvent, _ database: SQLiteDatabase) throws {
        let message = AlertMessage.text(for: event)
        switch event.event {
        case .fired where event.escalatedFrom != nil:
            try database.run("""
                UPDATE alerts SET kind = ?2, escalated_at = ?3, peak_probability = max(peak_probability, ?4)
                WHERE id = ?1
                """, [.text(event.alertID), .text(event.kind.rawValue), .real(event.at), .real(event.peakProbability)])
        case .fired:
            try database.run("""
                INSERT INTO alerts (id, kind, fired_at, peak_probability, horizon_seconds, message, top_features)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT (id) DO NOTHING
                """, [.text(event.alertID), .text(event.kind.rawValue), .real(event.at), .real(event.peakProbability),
                      .real(event.horizonSeconds), .text(message), .text(JSONText.features(event.topFeatures))])
        case .resolved:
            try database.run("""
                UPDATE alerts SET resolved_at = ?2, peak_probability = max(peak_probability, ?3), note = coalesce(?4, note)
                WHERE id = ?1 AND resolved_at IS NULL
                """, [.text(event.alertID), .real(event.at), .real(event.peakProbability), event.note.map(SQLiteValue.text) ?? .null])
        }
    }

    // MARK: retention and recovery

    /// Deletes at most `batch` rows per table older than `cutoff` (Unix seconds). Called every
    /// tick, it keeps up with one new row per tick while never stalling one: the oldest row is
    /// found through the id b-tree, and the delete walks an id range, not the table.
    @discardableResult
    public func prune(olderThan cutoff: Double, batch: Int = 500) throws -> Int {
        try state.withLock { state in try onIntactFile(&state) { _, database in
            var deleted = 0
            for table in ["samples", "predictions"] {
                guard let oldest = try database.rows("SELECT id, ts FROM \(table) ORDER BY id LIMIT 1").first,
                      let id = oldest[0].integer, let ts = oldest[1].double, ts < cutoff else { continue }
                try database.run("DELETE FROM \(table) WHERE id < ?1 AND ts < ?2", [.integer(id + Int64(batch)), .real(cutoff)])
                deleted += database.changes
            }
            try database.run("""
                DELETE FROM alerts WHERE id IN (
                    SELECT id FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < ?1 LIMIT ?2)
                """, [.real(cutoff), .integer(Int64(batch))])
            deleted += database.changes
            // The newest checkpoints are kept whatever their age: they are the model.
            try database.run("""
                DELETE FROM checkpoints WHERE created_at < ?1
                AND id NOT IN (SELECT id FROM checkpoints ORDER BY id DESC LIMIT 10)
                """, [.real(cutoff)])
            deleted += database.changes
            return deleted
        } }
    }

    /// Alerts left open by a crash or a kill are closed as resolved at `restartTime`, with a
    /// note, but `continuing` (one this start goes on with); returns them so the journal can
    /// get their `resolved` entries too.
    public func closeDanglingAlerts(at restartTime: Double, continuing: String? = nil) throws -> [AlertRecord] {
        try state.withLock { state in
            try Self.closeDanglingAlerts(self.database(&state), at: restartTime, continuing: continuing)
        }
    }

    /// The alerts an earlier run left open, newest first.
    public func openAlerts() throws -> [AlertRecord] {
        try state.withLock { state in try AlertRecord.fetch(self.database(&state), where: "resolved_at IS NULL", []) }
    }

    private static func closeDanglingAlerts(_ database: SQLiteDatabase, at restartTime: Double, continuing: String? = nil) throws -> [AlertRecord] {
        let open = try AlertRecord.fetch(database, where: "resolved_at IS NULL AND id IS NOT ?1", [continuing.map(SQLiteValue.text) ?? .null])
        guard !open.isEmpty else { return [] }
        try database.transaction {
            try database.run("""
                UPDATE alerts SET resolved_at = ?1, note = ?2 WHERE resolved_at IS NULL AND id IS NOT ?3
                """, [.real(restartTime), .text(AlertRecord.restartNote), continuing.map(SQLiteValue.text) ?? .null])
        }
        return open.map { alert in
            var closed = alert
            closed.resolvedAt = restartTime
            closed.note = AlertRecord.restartNote
            return closed
        }
    }

    // MARK: forgetting

    /// Forgets `from`...`to` as `surgewatch forget` does (ForgottenSpan), on this store's own
    /// connection, for the daemon that `forget` asked: the span's rows still staged (a disk
    /// that was full) go too, or the next commit would write them back.
    public func forget(from: Double, to: Double) throws -> ForgottenSpan {
        try state.withLock { state in
            state.pendingSamples.removeAll { $0.timestamp >= from && $0.timestamp <= to }
            state.pendingPredictions.removeAll { $0.timestamp >= from && $0.timestamp <= to }
            return try ForgottenSpan.forget(in: self.database(&state), from: from, to: to)
        }
    }

    // MARK: checkpoints

    public func saveCheckpoint(version: Int, model: [UInt8], metricsJSON: String, at time: Double) throws {
        try state.withLock { state in
            try self.database(&state).run("INSERT INTO checkpoints (created_at, version, model, metrics) VALUES (?1, ?2, ?3, ?4)",
                                   [.real(time), .integer(Int64(version)), .blob(model), .text(metricsJSON)])
        }
    }

    public func latestCheckpoint() throws -> (version: Int, model: [UInt8], createdAt: Double, metricsJSON: String)? {
        try checkpoint(before: nil).map { ($0.version, $0.model, $0.createdAt, $0.metricsJSON) }
    }

    /// The newest checkpoint saved before the one with id `before` (nil: the newest of all), so
    /// that a start whose newest checkpoint cannot be decoded can try the one before it.
    public func checkpoint(before: Int64?) throws -> (id: Int64, version: Int, model: [UInt8], createdAt: Double, metricsJSON: String)? {
        try state.withLock { state in
            guard let row = try self.database(&state).rows(
                "SELECT id, version, model, created_at, metrics FROM checkpoints WHERE id < ?1 ORDER BY id DESC LIMIT 1",
                [.integer(before ?? .max)]).first,
                  let id = row[0].integer, let version = row[1].integer, case .blob(let model) = row[2], let created = row[3].double else { return nil }
            let metrics: String
            if case .text(let text) = row[4] { metrics = text } else { metrics = "{}" }
            return (id, Int(version), model, created, metrics)
        }
    }

    // MARK: the weights referee's record

    /// Replaces the stored record (one row).
    public func saveRefereeRecord(_ record: [UInt8], ticks: Int, context: String, at time: Double) throws {
        try state.withLock { state in
            try self.database(&state).run("INSERT OR REPLACE INTO referee_record (id, saved_at, context, ticks, record) VALUES (1, ?1, ?2, ?3, ?4)",
                                   [.real(time), .text(context), .integer(Int64(ticks)), .blob(record)])
        }
    }

    public func refereeRecord() throws -> (record: [UInt8], context: String, savedAt: Double)? {
        try state.withLock { state in
            guard let row = try self.database(&state).rows("SELECT record, context, saved_at FROM referee_record WHERE id = 1").first,
                  case .blob(let record) = row[0], case .text(let context) = row[1], let saved = row[2].double else { return nil }
            return (record, context, saved)
        }
    }

    /// A query on the writer's connection (tests, the daemon's own status).
    public func rows(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try state.withLock { state in try self.database(&state).rows(sql, arguments) }
    }
}

/// One tick's prediction as stored.
public struct PredictionRecord: Sendable, Equatable {
    public var timestamp: Double
    public var tick: Int
    public var probability: Double?
    public var state: String
    public var label: Bool?

    public init(timestamp: Double, tick: Int, probability: Double?, state: String, label: Bool?) {
        self.timestamp = timestamp
        self.tick = tick
        self.probability = probability
        self.state = state
        self.label = label
    }
}

/// Which file a path names (device and inode), to tell the file a connection opened from one
/// that took its place.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    /// nil when nothing is at `path`.
    init?(of path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}

/// The store's file removed or replaced while it had it open (`SurgeStore.takeLostFiles`).
public struct LostDatabaseFile: Sendable, Equatable {
    public var path: String
    /// Another file was moved to the path (else nothing was there).
    public var replaced: Bool

    /// The warning for the log.
    public var message: String {
        replaced
            ? "\(path) was replaced while surgewatch had it open (another file was moved there): the rows go to that file from this tick on"
            : "\(path) was removed while surgewatch had it open: a new database starts there with this tick; what the removed file held is gone with it"
    }
}
