#if canImport(Glibc)
import Glibc
#endif
import SurgeDetection

extension Trace {
    /// The trace as CSV text: integer timestamps when whole, values with 6 significant digits,
    /// empty cells for missing values.
    public func csv() -> [UInt8] {
        var out = Array(("timestamp," + schema.names.joined(separator: ",") + "\n").utf8)
        out.reserveCapacity(count * (schema.count * 8 + 12))
        for row in 0..<count {
            out += Array(NumberText.short(timestamps[row]).utf8)
            for column in 0..<schema.count {
                out.append(UInt8(ascii: ","))
                let value = self.value(row: row, column: column)
                if value.isFinite { out += Array(NumberText.short(value).utf8) }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}
