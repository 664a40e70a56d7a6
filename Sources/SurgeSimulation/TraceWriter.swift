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
        var buffer = [CChar](repeating: 0, count: 64)
        for row in 0..<count {
            out += Array(CSVNumber.format(timestamps[row], &buffer).utf8)
            for column in 0..<schema.count {
                out.append(UInt8(ascii: ","))
                let value = self.value(row: row, column: column)
                if value.isFinite { out += Array(CSVNumber.format(value, &buffer).utf8) }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}

public enum CSVNumber {
    public static func format(_ value: Double, _ buffer: inout [CChar]) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        let length = buffer.withUnsafeMutableBufferPointer { pointer in
            withVaList([value]) { vsnprintf(pointer.baseAddress!, 64, "%.6g", $0) }
        }
        return String(decoding: buffer[0..<Int(length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
