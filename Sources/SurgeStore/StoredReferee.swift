/// What the weights referee left in a database the daemon may be writing (read-only, WAL): the
/// serving weights the newest checkpoint names and the referee's record, for `alerts --record`.
public struct StoredReferee: Sendable, Equatable {
    /// "learned" when the newest checkpoint says so, else "trained" (as the daemon reads it).
    public var serving: String
    /// When that checkpoint was saved.
    public var checkpointAt: Double?
    /// `WeightsReferee.encodedRecord`'s bytes, with what they were kept under and when.
    public var record: [UInt8]
    public var context: String
    public var savedAt: Double

    /// nil when the database holds no record (a fresh model, learning off, or a daemon older
    /// than schema version 2), or when the newest checkpoint is a fresh model's: it has no
    /// referee since session 24, so a record left from before (an upgrade, or a config that
    /// once used the built-in model) is not about the weights that serve.
    public static func read(path: String) throws -> StoredReferee? {
        let database = try StoreSchema.openForReading(path)
        guard try database.userVersion() >= 2,
              let row = try database.rows("SELECT record, context, saved_at FROM referee_record WHERE id = 1").first,
              case .blob(let record) = row[0], case .text(let context) = row[1], let savedAt = row[2].double else { return nil }
        var stored = StoredReferee(serving: "trained", checkpointAt: nil, record: record, context: context, savedAt: savedAt)
        if let checkpoint = try database.rows("SELECT metrics, created_at FROM checkpoints ORDER BY id DESC LIMIT 1").first,
           case .text(let metrics) = checkpoint[0] {
            if Self.trainedWeights(checkpointMetrics: metrics) == "none" && !metrics.contains("\"serving\":") { return nil }
            stored.checkpointAt = checkpoint[1].double
            if Self.learnedServe(checkpointMetrics: metrics) { stored.serving = "learned" }
        }
        return stored
    }

    /// Whether a checkpoint's metrics JSON says the learned weights served when it was saved
    /// (the daemon writes `"serving":"learned"` or `"serving":"trained"`; older checkpoints
    /// say neither, and their trained weights served).
    public static func learnedServe(checkpointMetrics metrics: String) -> Bool {
        metrics.contains("\"serving\":\"learned\"")
    }

    /// What the checkpoint's learned weights started from, as the daemon writes it since session
    /// 23: `"trained":"<crc32 of the trained weights, hex>"`, or `"trained":"none"` for a fresh
    /// model; nil for older checkpoints, which do not say.
    public static func trainedWeights(checkpointMetrics metrics: String) -> String? {
        guard let start = metrics.firstRange(of: "\"trained\":\"") else { return nil }
        let value = metrics[start.upperBound...].prefix { $0 != "\"" }
        guard value.endIndex < metrics.endIndex, !value.isEmpty else { return nil }
        return String(value)
    }

    /// The learning steps a checkpoint's weights had had (`"steps":N`); nil when it does not say.
    public static func learningSteps(checkpointMetrics metrics: String) -> Int? {
        guard let start = metrics.firstRange(of: "\"steps\":") else { return nil }
        return Int(metrics[start.upperBound...].prefix { $0.isNumber })
    }
}
