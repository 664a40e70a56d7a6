/// What the readers of stored ticks share.
enum StoredTicks {
    /// The middle of `values` (the upper one of an even count), as `TraceCSV.tickSeconds` takes
    /// a trace's tick length: nil when there is none.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[values.count / 2]
    }
}
