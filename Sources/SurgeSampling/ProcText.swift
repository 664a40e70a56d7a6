/// The bytes of one /proc (or /sys) file together with the path they came from, so that every
/// parse error can name the file and line. Parsing works on bytes, not `String`: /proc/stat on a
/// large host carries an `intr` line of thousands of numbers that we never need to decode.
public struct ProcText: Sendable, CustomStringConvertible {
    public let path: String
    public let bytes: [UInt8]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    public init(path: String, string: String) {
        self.init(path: path, bytes: Array(string.utf8))
    }

    /// Calls `body` with each line (without its newline) and its 1-based number; stops early when
    /// `body` returns false.
    public func forEachLine(_ body: (_ number: Int, _ line: ArraySlice<UInt8>) throws -> Bool) rethrows {
        var start = bytes.startIndex
        var number = 1
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            if try !body(number, bytes[start..<end]) { return }
            start = end + 1
            number += 1
        }
    }

    public var description: String { "\(path) (\(bytes.count) bytes)" }

    public func error(line: Int, _ reason: String) -> ProcParseError {
        ProcParseError(path: path, line: line, reason: reason)
    }
}

/// A file whose content is not what the kernel documents. Names the file and the line.
public struct ProcParseError: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    /// 1-based; 0 when the problem concerns the file as a whole (for example, it is empty).
    public let line: Int
    public let reason: String

    public var description: String {
        line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)"
    }
}

/// Splits a line on runs of spaces and tabs.
@inlinable
public func procFields(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    var fields: [ArraySlice<UInt8>] = []
    fields.reserveCapacity(20)
    var index = line.startIndex
    while index < line.endIndex {
        while index < line.endIndex, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        guard index < line.endIndex else { break }
        let start = index
        while index < line.endIndex, line[index] != 0x20, line[index] != 0x09 { index += 1 }
        fields.append(line[start..<index])
    }
    return fields
}

extension ArraySlice where Element == UInt8 {
    /// A decimal unsigned integer, or nil if the field holds anything else (or overflows).
    @inlinable
    public var asUInt64: UInt64? {
        guard !isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in self {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    /// A decimal integer that may carry a leading minus sign (/proc/net/snmp has some).
    @inlinable
    public var asInt64: Int64? {
        if first == UInt8(ascii: "-") {
            guard let magnitude = dropFirst().asUInt64, magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard let magnitude = asUInt64, magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A plain decimal such as `0.52` or `12` (the only forms the kernel prints here).
    @inlinable
    public var asDecimal: Double? {
        guard let dot = firstIndex(of: UInt8(ascii: ".")) else { return asUInt64.map(Double.init) }
        guard let whole = self[startIndex..<dot].asUInt64 else { return nil }
        let fractionDigits = self[(dot + 1)...]
        guard let fraction = fractionDigits.asUInt64, fractionDigits.count <= 18 else { return nil }
        var scale = 1.0
        for _ in 0..<fractionDigits.count { scale *= 10 }
        return Double(whole) + Double(fraction) / scale
    }

    /// The field as text, for error messages; long fields are cut.
    public var text: String {
        let shown = prefix(40)
        let string = String(decoding: shown, as: UTF8.self)
        return count > 40 ? string + "…" : string
    }

    @inlinable
    public func hasPrefix(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard self.count >= count else { return false }
        return prefix.withUTF8Buffer { buffer in
            var index = startIndex
            for byte in buffer {
                if self[index] != byte { return false }
                index += 1
            }
            return true
        }
    }

    @inlinable
    public func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && hasPrefix(literal)
    }
}
