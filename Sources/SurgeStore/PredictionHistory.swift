/// Reads the `predictions` table back: what the daemon predicted and decided each tick, and
/// the SLO rule's verdict, from a database the daemon may be writing (read-only, WAL).
public struct PredictionHistory {
    let database: SQLiteDatabase

    public init(path: String) throws {
        database = try StoreSchema.openForReading(path)
    }

    /// Every prediction row at or after `since` and not after `until` (Unix seconds; nil: no
    /// bound), in the order they were written, read one at a time: its time, the run's tick
    /// number, the alert state after that tick, the rule's verdict (nil when it could not be
    /// judged) and p(overload) (nil while warming up). Rows the wall clock put out of order are
    /// skipped (ClockStepsBack), so the times rise and the reading stops after `until`.
    @discardableResult
    public func forEach(since: Double?, until: Double? = nil,
                        _ body: (_ time: Double, _ tick: Int, _ state: String, _ label: Bool?, _ probability: Double?) throws -> Void) throws
        -> ClockStepsBack {
        let statement = try database.prepare("SELECT ts, tick, state, label, probability FROM predictions WHERE ts >= ?1 ORDER BY id")
        statement.bind(since ?? -Double.greatestFiniteMagnitude, at: 1)
        var steps = ClockStepsBack()
        while try statement.step() {
            let time = statement.value(0).double ?? .nan
            guard steps.admit(time) else { continue }
            if let until, time > until { break }
            try body(time, Int(statement.value(1).integer ?? 0), statement.value(2).text ?? "",
                     statement.value(3).integer.map { $0 != 0 }, statement.value(4).double)
        }
        return steps
    }

    /// The tick length the stored rows show: the median time between rows of one run of the
    /// daemon (tick numbers one apart), over the first `rows` rows; nil with no such pair.
    public func medianTickSeconds(rows: Int = 10_000) throws -> Double? {
        try StoredTicks.medianSpacing(database, table: "predictions", since: nil, rows: rows)
    }
}
