import SurgeConfig
import SurgeDetection

/// A span of ticks the operator wants forgotten: a metric that was wrong for a while (an
/// exporter bug, a probe pointed at the wrong host) or a rule that misfired leaves samples whose
/// labels are wrong, and online learning recalls them at every start for as long as retention
/// keeps them (a few hours of false overload fill the overload half of its memory for weeks,
/// since real overload windows are rare). Forgetting deletes the span's samples and predictions,
/// and the checkpoints saved since it began (their weights learned from it), so learning
/// resumes from the weights of before; the weights referee's record, scored on those
/// predictions, is dropped if it was saved since. Alerts stay: they were sent.
public struct ForgottenSpan: Sendable, Equatable {
    public var from: Double
    public var to: Double
    public var samples = 0
    public var predictions = 0
    /// Checkpoints saved at or after `from`.
    public var checkpoints = 0
    /// When the newest checkpoint that stays was saved: learning resumes from it (nil: from the
    /// model, as at a first start).
    public var resumesFrom: Double?
    public var refereeRecord = false

    public init(from: Double, to: Double) {
        self.from = from
        self.to = to
    }

    /// What it holds, or held: "1080 ticks' samples, 1080 predictions, 36 checkpoints, the
    /// weights referee's record".
    public var summary: String {
        var parts = [Self.ticksSamples(samples), NumberText.counted(predictions, "prediction"), NumberText.counted(checkpoints, "checkpoint")]
        if refereeRecord { parts.append("the weights referee's record") }
        return parts.joined(separator: ", ")
    }

    /// "1 tick's samples", "1080 ticks' samples".
    static func ticksSamples(_ count: Int) -> String { count == 1 ? "1 tick's samples" : "\(count) ticks' samples" }

    /// What is in the span in the database at `path`; nothing is changed.
    public static func find(in path: String, from: Double, to: Double) throws -> ForgottenSpan {
        try count(StoreSchema.openForReading(path), from: from, to: to)
    }

    /// Deletes what `find` counts, in one transaction, and returns what it deleted. The caller
    /// makes sure no daemon is writing the file (InstanceLock): a running one would save its
    /// learned weights again at its next checkpoint.
    public static func forget(in path: String, from: Double, to: Double) throws -> ForgottenSpan {
        try forget(in: StoreSchema.openExisting(path, mode: .readWrite), from: from, to: to)
    }

    /// The same on an open connection: the daemon's own, when it forgets at `forget`'s request.
    static func forget(in database: SQLiteDatabase, from: Double, to: Double) throws -> ForgottenSpan {
        var span = ForgottenSpan(from: from, to: to)
        try database.transaction {
            span = try count(database, from: from, to: to)
            try database.run("DELETE FROM samples WHERE ts BETWEEN ?1 AND ?2", [.real(from), .real(to)])
            try database.run("DELETE FROM predictions WHERE ts BETWEEN ?1 AND ?2", [.real(from), .real(to)])
            try database.run("DELETE FROM checkpoints WHERE created_at >= ?1", [.real(from)])
            if span.refereeRecord { try database.run("DELETE FROM referee_record WHERE saved_at >= ?1", [.real(from)]) }
        }
        return span
    }

    /// What online learning starts from after this span is forgotten.
    public var resumption: String {
        guard checkpoints > 0 else { return "no checkpoint was saved since it began" }
        guard let resumesFrom else { return "learning starts from the model, as at a first start (no checkpoint before it)" }
        return "learning resumes from the checkpoint saved \(RFC3339.format(resumesFrom))"
    }

    private static func count(_ database: SQLiteDatabase, from: Double, to: Double) throws -> ForgottenSpan {
        var span = ForgottenSpan(from: from, to: to)
        func number(_ sql: String, _ arguments: [SQLiteValue]) throws -> Int {
            Int(try database.rows(sql, arguments).first?.first?.integer ?? 0)
        }
        let inSpan: [SQLiteValue] = [.real(from), .real(to)]
        span.samples = try number("SELECT count(*) FROM samples WHERE ts BETWEEN ?1 AND ?2", inSpan)
        span.predictions = try number("SELECT count(*) FROM predictions WHERE ts BETWEEN ?1 AND ?2", inSpan)
        span.checkpoints = try number("SELECT count(*) FROM checkpoints WHERE created_at >= ?1", [.real(from)])
        span.resumesFrom = try database.rows("SELECT max(created_at) FROM checkpoints WHERE created_at < ?1", [.real(from)]).first?.first?.double
        // A file of schema version 1 has no referee record yet.
        span.refereeRecord = try database.userVersion() >= 2
            && number("SELECT count(*) FROM referee_record WHERE saved_at >= ?1", [.real(from)]) > 0
        return span
    }
}
