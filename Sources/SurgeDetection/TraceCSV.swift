#if canImport(Glibc)
import Glibc
#endif
import SurgeConfig
import SurgeSampling

/// A metric trace (CONTRACTS.md, "Trace CSV"): `timestamp` first, one column per metric named
/// as the daemon names it; an empty cell is a missing value. Rows are kept flat, row-major.
public struct Trace: Sendable {
    public let schema: MetricSchema
    public private(set) var timestamps: [Double] = []
    public private(set) var values: [Double] = []

    public init(schema: MetricSchema) {
        self.schema = schema
    }

    public var count: Int { timestamps.count }

    public mutating func append(timestamp: Double, row: [Double]) {
        precondition(row.count == schema.count)
        timestamps.append(timestamp)
        values += row
    }

    public func value(row: Int, column: Int) -> Double { values[row * schema.count + column] }

    public func sample(_ row: Int) -> Sample {
        Sample(timestamp: timestamps[row], tick: row + 1, schema: schema,
               values: Array(values[row * schema.count..<(row + 1) * schema.count]))
    }

    /// Seconds per tick: the median spacing of the timestamps.
    public var tickSeconds: Double {
        guard count > 1 else { return 10 }
        let gaps = (1..<min(count, 1001)).map { timestamps[$0] - timestamps[$0 - 1] }.sorted()
        return gaps[gaps.count / 2]
    }

    /// The raw values of one metric over the whole trace.
    public func column(_ name: String) -> [Double]? {
        guard let column = schema.index(of: name) else { return nil }
        return (0..<count).map { value(row: $0, column: column) }
    }

    /// The rows in `range` as a trace of their own.
    public func slice(_ range: Range<Int>) -> Trace {
        var part = Trace(schema: schema)
        part.timestamps = Array(timestamps[range])
        part.values = Array(values[range.lowerBound * schema.count..<range.upperBound * schema.count])
        return part
    }
}

public struct TraceError: Error, Equatable, CustomStringConvertible, Sendable {
    public var path: String
    public var line: Int
    public var message: String
    public var description: String { "\(path):\(line): \(message)" }

    public init(path: String, line: Int, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }
}

public enum TraceCSV {
    /// Parses a whole trace file's bytes; errors name the path, line and column.
    public static func parse(_ bytes: [UInt8], path: String) throws(TraceError) -> Trace {
        var text = bytes
        text.append(0)  // strtod stops at the NUL after the last cell
        return try text.withUnsafeBufferPointer { buffer throws(TraceError) -> Trace in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            // A spreadsheet's "CSV UTF-8" starts with a byte order mark; it is not part of the header.
            var lineStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0, lineNumber = 0
            var trace: Trace?
            var row: [Double] = []
            var previous = -Double.infinity
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                lineNumber += 1
                var contentEnd = lineEnd
                if contentEnd > lineStart && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                defer { lineStart = lineEnd + 1 }
                if contentEnd == lineStart { continue }  // blank line
                guard let schema = trace?.schema else {
                    trace = Trace(schema: try header(bytes[lineStart..<contentEnd], path: path, line: lineNumber))
                    row = [Double](repeating: .nan, count: trace!.schema.count)
                    continue
                }
                var cellStart = lineStart, column = -1
                while cellStart <= contentEnd {
                    var cellEnd = cellStart
                    while cellEnd < contentEnd && bytes[cellEnd] != UInt8(ascii: ",") { cellEnd += 1 }
                    let next = cellEnd + 1
                    // Spaces around a cell ("1, 2" as people type it) are not part of its value.
                    while cellStart < cellEnd && isBlank(bytes[cellStart]) { cellStart += 1 }
                    while cellEnd > cellStart && isBlank(bytes[cellEnd - 1]) { cellEnd -= 1 }
                    let name = column < 0 ? "timestamp" : (column < schema.count ? schema.names[column] : "")
                    guard column < schema.count else {
                        throw TraceError(path: path, line: lineNumber, message: "more cells than the header's \(schema.count + 1) columns")
                    }
                    if column < 0 {
                        let time = try timestamp(bytes[cellStart..<cellEnd], base + cellStart, path: path, line: lineNumber)
                        guard time > previous else {
                            throw TraceError(path: path, line: lineNumber, message: "timestamp \(time) is not after the previous row's \(previous); rows must be in time order")
                        }
                        previous = time
                    } else if cellEnd == cellStart {
                        row[column] = .nan
                    } else {
                        guard let number = number(base + cellStart, length: cellEnd - cellStart) else {
                            let got = String(decoding: bytes[cellStart..<cellEnd], as: UTF8.self)
                            throw TraceError(path: path, line: lineNumber, message: "column '\(name)': '\(got)' is not a number")
                        }
                        row[column] = number
                    }
                    column += 1
                    cellStart = next
                }
                guard column == schema.count else {
                    throw TraceError(path: path, line: lineNumber, message: "\(column + 1) cells where the header has \(schema.count + 1)")
                }
                trace!.append(timestamp: previous, row: row)
            }
            guard let trace else { throw TraceError(path: path, line: 1, message: "empty file: expected a header starting with 'timestamp'") }
            return trace
        }
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    private static func header(_ line: ArraySlice<UInt8>, path: String, line number: Int) throws(TraceError) -> MetricSchema {
        let names = String(decoding: line, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " \t\"") }
        guard names.first == "timestamp" else {
            throw TraceError(path: path, line: number, message: "the first column must be 'timestamp', got '\(names.first ?? "")'")
        }
        var seen = Set<String>()
        for name in names.dropFirst() {
            guard !name.isEmpty else { throw TraceError(path: path, line: number, message: "a column has no name") }
            guard seen.insert(name).inserted else { throw TraceError(path: path, line: number, message: "column '\(name)' appears twice") }
        }
        return MetricSchema(Array(names.dropFirst()))
    }

    private static func number(_ start: UnsafePointer<CChar>, length: Int) -> Double? {
        var end: UnsafeMutablePointer<CChar>?
        let value = strtod(start, &end)
        guard let end, UnsafePointer(end) == start + length, value.isFinite || value.isNaN else { return nil }
        return value
    }

    /// Unix seconds RFC 3339 can write, years 0000 to 9999 (a day's slack for zone offsets):
    /// a timestamp like 1e300 is a broken file, and the ticks' lengths, the days and every
    /// time written back must stay numbers a clock can hold.
    static let timestamps: ClosedRange<Double> = -62_167_305_600 ... 253_402_387_199

    private static func timestamp(_ cell: ArraySlice<UInt8>, _ start: UnsafePointer<CChar>, path: String, line: Int) throws(TraceError) -> Double {
        let text = String(decoding: cell, as: UTF8.self)
        guard let seconds = number(start, length: cell.count).flatMap({ $0.isFinite ? $0 : nil }) ?? RFC3339.parse(cell) else {
            throw TraceError(path: path, line: line, message: "timestamp '\(text)' is neither Unix seconds nor RFC 3339")
        }
        guard timestamps.contains(seconds) else {
            throw TraceError(path: path, line: line, message: "timestamp '\(text)' is outside the years 0000 to 9999")
        }
        return seconds
    }
}

extension TraceCSV {
    /// The header line: `timestamp`, then the metric names.
    public static func header(_ names: [String]) -> [UInt8] {
        // A database with no metric yet (only test-alert wrote to it) gives "timestamp" alone.
        Array((["timestamp"] + names).joined(separator: ",").utf8) + [UInt8(ascii: "\n")]
    }

    /// Appends one row: the timestamp, then each value as `number` writes it, empty where it
    /// is missing (the writers choose the precision; the format is this file's).
    public static func appendRow(to out: inout [UInt8], timestamp: Double, values: some Sequence<Double>,
                                 number: (Double) -> String) {
        out += Array(number(timestamp).utf8)
        for value in values {
            out.append(UInt8(ascii: ","))
            if value.isFinite { out += Array(number(value).utf8) }
        }
        out.append(UInt8(ascii: "\n"))
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let drop = Set(set)
        return String(self.drop { drop.contains($0) }.reversed().drop { drop.contains($0) }.reversed())
    }
}

/// RFC 3339 text to Unix seconds and back, for the tools' date options and `simulate`.
public enum TraceTime {
    public static func parse(_ text: String) -> Double? { RFC3339.parse(ArraySlice(text.utf8)) }
    public static func rfc3339(_ unixSeconds: Double) -> String { RFC3339.format(unixSeconds) }
}
