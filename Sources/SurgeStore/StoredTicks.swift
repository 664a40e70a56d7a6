/// What the readers of stored ticks share.
enum StoredTicks {
    /// The tick length a table of ticks (`samples`, `predictions`: `ts` and `tick` columns)
    /// shows from `since` on: the median time between rows of one run of the daemon (tick
    /// numbers one apart, so a restart's gap does not count), over the first `rows` rows; the
    /// upper middle of an even count, as `TraceCSV.tickSeconds` takes a trace's. nil with no
    /// such pair.
    static func medianSpacing(_ database: SQLiteDatabase, table: String, since: Double?, rows: Int) throws -> Double? {
        let statement = try database.prepare("SELECT ts, tick FROM \(table) WHERE ts >= ?1 ORDER BY id LIMIT ?2")
        try statement.bind([.real(since ?? -Double.greatestFiniteMagnitude), .integer(Int64(rows))])
        var gaps: [Double] = []
        var previous: (time: Double, tick: Int64)?
        while try statement.step() {
            guard let time = statement.value(0).double, let tick = statement.value(1).integer else { continue }
            if let previous, tick == previous.tick + 1, time > previous.time { gaps.append(time - previous.time) }
            previous = (time, tick)
        }
        guard !gaps.isEmpty else { return nil }
        return gaps.sorted()[gaps.count / 2]
    }
}
