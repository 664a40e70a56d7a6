/// Reads the `samples` table back as a trace (CONTRACTS.md, Trace CSV), from a database the
/// daemon may be writing: the host's own history, to replay or train on.
public struct SampleHistory {
    let database: SQLiteDatabase
    /// The metric columns, in the order the daemon added them.
    public let metrics: [String]

    /// `only`: read just these metrics (those the table has), for a reader that needs a few of
    /// the columns of a long history.
    public init(path: String, only: Set<String>? = nil) throws {
        database = try StoreSchema.openForReading(path)
        metrics = try database.rows("PRAGMA table_info(samples)").compactMap { $0[1].text }
            .filter { !["id", "ts", "tick"].contains($0) && only?.contains($0) != false }
    }

    /// Every sample at or after `since` and not after `until` (Unix seconds; nil: no bound), in
    /// the order they were written: its time and its values in `metrics` order (NaN where the
    /// metric was missing). Rows are read one at a time, so a month of ticks does not sit in
    /// memory twice. A row not later than the one before it (the wall clock was set back) is
    /// skipped, and counted in the result, so what comes out is one sequence in time order, as
    /// a trace must be; which is also why the reading stops at the first row after `until`.
    @discardableResult
    public func forEach(since: Double?, until: Double? = nil, _ body: (Double, [Double]) throws -> Void) throws -> ClockStepsBack {
        let statement = try database.prepare("SELECT \(selectedColumns) FROM samples WHERE ts >= ?1 ORDER BY id")
        statement.bind(since ?? -Double.greatestFiniteMagnitude, at: 1)
        return try stream(statement, skippingStepsBack: true, until: until, body)
    }

    /// The newest `count` samples in the order they were written, found by their ids, the
    /// table's key (SQLite numbers new rows after the largest id, and pruning deletes only the
    /// oldest), so the rows before them are not scanned however long the table. Unlike
    /// `forEach(since:)`, rows after a wall clock set back are given as stored, not skipped: the
    /// newest ticks are the ones that matter here, and the reader splits its runs at the step.
    public func forEach(newest count: Int, _ body: (Double, [Double]) throws -> Void) throws {
        let statement = try database.prepare("SELECT \(selectedColumns) FROM samples WHERE id > (SELECT coalesce(max(id), 0) FROM samples) - ?1 ORDER BY id")
        try statement.bind([.integer(Int64(max(count, 0)))])
        try stream(statement, skippingStepsBack: false, body)
    }

    /// The tick length the samples at or after `since` show: the median time between rows of
    /// one run of the daemon (tick numbers one apart, so an outage does not count) over the
    /// first `pairs` of them; nil with no such pair.
    public func medianSpacing(since: Double?, pairs: Int = 1000) throws -> Double? {
        try StoredTicks.medianSpacing(database, table: "samples", since: since, rows: pairs + 1)
    }

    private var selectedColumns: String { (["ts"] + metrics.map { "\"\($0)\"" }).joined(separator: ", ") }

    @discardableResult
    private func stream(_ statement: SQLiteStatement, skippingStepsBack: Bool, until: Double? = nil,
                        _ body: (Double, [Double]) throws -> Void) throws -> ClockStepsBack {
        var values = [Double](repeating: .nan, count: metrics.count)
        var steps = ClockStepsBack()
        while try statement.step() {
            let time = statement.value(0).double ?? .nan
            guard steps.admit(time) || !skippingStepsBack else { continue }
            if let until, time > until { break }
            for index in metrics.indices { values[index] = statement.value(index + 1).double ?? .nan }
            try body(time, values)
        }
        return steps
    }

    /// The newest `count` samples by the order they were written, oldest first: a few rows
    /// read backwards from the end of the table, whatever its length.
    public func newest(_ count: Int) throws -> [(time: Double, values: [Double])] {
        let statement = try database.prepare("SELECT \(selectedColumns) FROM samples ORDER BY id DESC LIMIT ?1")
        try statement.bind([.integer(Int64(max(count, 0)))])
        var rows: [(time: Double, values: [Double])] = []
        while try statement.step() {
            rows.append((statement.value(0).double ?? .nan, metrics.indices.map { statement.value($0 + 1).double ?? .nan }))
        }
        return rows.reversed()
    }
}
