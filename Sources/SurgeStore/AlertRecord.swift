import SurgeDetection

/// One row of the `alerts` table.
public struct AlertRecord: Sendable, Equatable {
    public var id: String
    public var kind: AlertEvent.Kind
    public var firedAt: Double
    public var escalatedAt: Double?
    public var resolvedAt: Double?
    public var peakProbability: Double
    public var horizonSeconds: Double
    public var message: String
    public var topFeaturesJSON: String
    public var note: String?

    public static let restartNote = "closed at restart: surgewatch stopped while this alert was open"

    static let columns = "id, kind, fired_at, escalated_at, resolved_at, peak_probability, horizon_seconds, message, top_features, note"

    static func fetch(_ database: SQLiteDatabase, where condition: String, _ arguments: [SQLiteValue]) throws -> [AlertRecord] {
        try database.rows("SELECT \(columns) FROM alerts WHERE \(condition) ORDER BY fired_at DESC", arguments).map { row in
            AlertRecord(
                id: row[0].text ?? "", kind: AlertEvent.Kind(rawValue: row[1].text ?? "") ?? .predicted,
                firedAt: row[2].double ?? 0, escalatedAt: row[3].double, resolvedAt: row[4].double,
                peakProbability: row[5].double ?? 0, horizonSeconds: row[6].double ?? 0,
                message: row[7].text ?? "", topFeaturesJSON: row[8].text ?? "[]", note: row[9].text)
        }
    }

    /// The `resolved` event that closes this alert, for sinks that did not see it (journald
    /// after a crash).
    public var resolvedEvent: AlertEvent? {
        guard let resolvedAt else { return nil }
        return AlertEvent(alertID: id, event: .resolved, kind: kind, at: resolvedAt, probability: nil,
                          peakProbability: peakProbability, horizonSeconds: horizonSeconds,
                          firedAt: firedAt, note: note)
    }
}

/// Reads alert history from a database the daemon may be writing: read-only, WAL, never
/// taking a lock the writer waits for.
public struct AlertHistory {
    let database: SQLiteDatabase

    public init(path: String) throws {
        database = try StoreSchema.openForReading(path)
    }

    /// Alerts fired at or after `since` (Unix seconds), or all; newest first.
    public func alerts(since: Double?) throws -> [AlertRecord] {
        if let since { return try AlertRecord.fetch(database, where: "fired_at >= ?1", [.real(since)]) }
        return try AlertRecord.fetch(database, where: "1", [])
    }
}
