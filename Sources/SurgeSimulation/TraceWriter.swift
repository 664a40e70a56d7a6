#if canImport(Glibc)
import Glibc
#endif
import SurgeDetection

extension Trace {
    /// The trace as CSV text: integer timestamps when whole, values with 6 significant digits,
    /// empty cells for missing values.
    public func csv() -> [UInt8] {
        var out = TraceCSV.header(schema.names)
        out.reserveCapacity(count * (schema.count * 8 + 12))
        for row in 0..<count {
            TraceCSV.appendRow(to: &out, timestamp: timestamps[row], values: (0..<schema.count).lazy.map { value(row: row, column: $0) },
                               number: NumberText.short)
        }
        return out
    }
}
