/// The Prometheus text exposition format, version 0.0.4 (prometheus.io/docs/instrumenting/
/// exposition_formats), as node_exporter, nginx-prometheus-exporter and the client libraries
/// serve it:
///
///     # HELP http_requests_total Requests served, by status code.
///     # TYPE http_requests_total counter
///     http_requests_total{code="503",path="/buy"} 10.0
///     http_request_duration_seconds_bucket{le="+Inf",path="/buy"} 500.0 1712000000000
///
/// Parsing works on bytes. A scrape is accepted whole or not at all, as Prometheus does: one
/// malformed line makes the body untrustworthy (a proxy's HTML error page, a body cut short),
/// and a half-read scrape would give wrong sums.
public struct PrometheusExposition: Sendable {
    public var samples: [PrometheusSample]
    /// `# TYPE` declarations by metric family name.
    public var types: [String: PrometheusMetricType]

    /// Parses `bytes`. `keep` sees each sample's metric name and decides whether the sample is
    /// decoded (labels, value); the lines it skips still have their name checked, so garbage is
    /// caught either way, but a scrape of a thousand series costs only the few a config reads.
    public static func parse(
        _ bytes: [UInt8], keep: ((ArraySlice<UInt8>) -> Bool)? = nil
    ) throws(PrometheusParseError) -> PrometheusExposition {
        var result = PrometheusExposition(samples: [], types: [:])
        var start = bytes.startIndex
        var number = 1
        while start < bytes.endIndex {
            var end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            let next = end + 1
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            var line = LineCursor(bytes: bytes, index: start, end: end, line: number)
            try line.parseLine(into: &result, keep: keep)
            start = next
            number += 1
        }
        return result
    }
}

/// One sample line: a series (name and labels) and its value.
public struct PrometheusSample: Sendable, Equatable {
    public var name: String
    /// In the order the line gives them; names are unique within a sample.
    public var labels: [PrometheusLabel]
    /// NaN, +Inf and -Inf are legal values.
    public var value: Double
    /// Milliseconds since the epoch, when the line carries one.
    public var timestampMs: Int64?

    public init(name: String, labels: [PrometheusLabel] = [], value: Double, timestampMs: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }

    public func label(_ name: String) -> String? {
        labels.first { $0.name == name }?.value
    }
}

public struct PrometheusLabel: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

public enum PrometheusMetricType: String, Sendable, Equatable {
    case counter, gauge, histogram, summary, untyped
}

/// Where a body stops being the exposition format, 1-based line and column (in bytes).
public struct PrometheusParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var reason: String

    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// Reads one line left to right; every error names the column where it saw the problem.
private struct LineCursor {
    let bytes: [UInt8]
    var index: Int
    let end: Int
    let line: Int
    let lineStart: Int

    init(bytes: [UInt8], index: Int, end: Int, line: Int) {
        self.bytes = bytes
        self.index = index
        self.end = end
        self.line = line
        lineStart = index
    }

    func fail(_ reason: String, at position: Int? = nil) -> PrometheusParseError {
        PrometheusParseError(line: line, column: (position ?? index) - lineStart + 1, reason: reason)
    }

    var atEnd: Bool { index >= end }
    var current: UInt8 { bytes[index] }

    mutating func skipBlanks() {
        while index < end, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    }

    mutating func parseLine(into result: inout PrometheusExposition, keep: ((ArraySlice<UInt8>) -> Bool)?) throws(PrometheusParseError) {
        skipBlanks()
        if atEnd { return }
        if current == UInt8(ascii: "#") {
            try parseComment(into: &result)
            return
        }
        let name = try metricName()
        if let keep, !keep(name) { return }
        var labels: [PrometheusLabel] = []
        skipBlanks()
        if !atEnd, current == UInt8(ascii: "{") {
            index += 1
            labels = try labelSet()
        }
        skipBlanks()
        guard !atEnd else { throw fail("expected a value after the series name") }
        let valueStart = index
        let valueField = field()
        guard let value = Self.parseValue(valueField) else {
            throw fail("expected a number, NaN, +Inf or -Inf, got '\(valueField.text)'", at: valueStart)
        }
        skipBlanks()
        var timestamp: Int64?
        if !atEnd {
            let timestampStart = index
            let timestampField = field()
            guard let milliseconds = timestampField.asInt64 else {
                throw fail("expected a timestamp in milliseconds, got '\(timestampField.text)'", at: timestampStart)
            }
            timestamp = milliseconds
            skipBlanks()
            guard atEnd else { throw fail("unexpected text after the timestamp") }
        }
        result.samples.append(PrometheusSample(
            name: String(decoding: name, as: UTF8.self), labels: labels, value: value, timestampMs: timestamp))
    }

    /// `# HELP name text` and `# TYPE name type` carry meaning; any other comment is skipped.
    mutating func parseComment(into result: inout PrometheusExposition) throws(PrometheusParseError) {
        index += 1
        skipBlanks()
        let keyword = field()
        guard keyword.equals("TYPE") || keyword.equals("HELP") else { return }
        skipBlanks()
        let name = try metricName()
        guard keyword.equals("TYPE") else { return }  // HELP text is free-form
        skipBlanks()
        let typeStart = index
        let typeField = field()
        guard let type = PrometheusMetricType(rawValue: String(decoding: typeField, as: UTF8.self)) else {
            throw fail("unknown metric type '\(typeField.text)'; expected counter, gauge, histogram, summary or untyped", at: typeStart)
        }
        let family = String(decoding: name, as: UTF8.self)
        if result.types[family] != nil { throw fail("a second TYPE line for '\(family)'", at: typeStart) }
        result.types[family] = type
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    mutating func metricName() throws(PrometheusParseError) -> ArraySlice<UInt8> {
        let start = index
        while index < end, isPrometheusNameByte(bytes[index], first: index == start, colon: true) { index += 1 }
        guard index > start else {
            throw fail(atEnd ? "expected a metric name" : "expected a metric name, got '\(Self.character(bytes[index]))'")
        }
        return bytes[start..<index]
    }

    /// The inside of `{...}`, the brace already consumed: `name="value"` pairs, comma-separated,
    /// a trailing comma allowed.
    mutating func labelSet() throws(PrometheusParseError) -> [PrometheusLabel] {
        var labels: [PrometheusLabel] = []
        // Past a few labels, names seen go to a set: a scan per label made a series with 50,000
        // labels (an exporter gone wrong) cost 28 s to parse (in the ASan fuzz build).
        var seen: Set<String> = []
        while true {
            skipBlanks()
            guard !atEnd else { throw fail("unterminated label set: expected '}'") }
            if current == UInt8(ascii: "}") { index += 1; return labels }
            let nameStart = index
            while index < end, isPrometheusNameByte(bytes[index], first: index == nameStart, colon: false) { index += 1 }
            guard index > nameStart else {
                throw fail(atEnd ? "expected a label name" : "expected a label name, got '\(Self.character(current))'")
            }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            skipBlanks()
            guard !atEnd, current == UInt8(ascii: "=") else { throw fail("expected '=' after label name '\(name)'") }
            index += 1
            skipBlanks()
            guard !atEnd, current == UInt8(ascii: "\"") else { throw fail("expected '\"' to open the value of label '\(name)'") }
            index += 1
            let value = try labelValue()
            if labels.count == 16 { seen = Set(labels.map(\.name)) }
            let repeated = labels.count < 16 ? labels.contains { $0.name == name } : !seen.insert(name).inserted
            if repeated { throw fail("label '\(name)' appears twice", at: nameStart) }
            labels.append(PrometheusLabel(name, value))
            skipBlanks()
            guard !atEnd else { throw fail("unterminated label set: expected ',' or '}'") }
            if current == UInt8(ascii: ",") {
                index += 1
            } else if current != UInt8(ascii: "}") {
                throw fail("expected ',' or '}' after the value of label '\(name)'")
            }
        }
    }

    /// A label value after its opening quote, with the format's three escapes: \\ \" \n.
    mutating func labelValue() throws(PrometheusParseError) -> String {
        var decoded: [UInt8] = []
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < end else { break }
                switch bytes[index + 1] {
                case UInt8(ascii: "\\"): decoded.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\""): decoded.append(UInt8(ascii: "\""))
                case UInt8(ascii: "n"): decoded.append(UInt8(ascii: "\n"))
                default: throw fail("invalid escape '\\\(Self.character(bytes[index + 1]))' in a label value")
                }
                index += 2
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        throw fail("unterminated label value: expected a closing '\"'")
    }

    mutating func field() -> ArraySlice<UInt8> {
        let start = index
        while index < end, bytes[index] != 0x20, bytes[index] != 0x09 { index += 1 }
        return bytes[start..<index]
    }

    /// Go's ParseFloat forms that exporters print: decimals, exponents, NaN, ±Inf.
    static func parseValue(_ field: ArraySlice<UInt8>) -> Double? {
        guard !field.isEmpty, field.count <= 64 else { return nil }
        if let integer = field.asInt64 { return Double(integer) }
        let text = String(decoding: field, as: UTF8.self)
        switch text.lowercased() {
        case "nan": return .nan
        case "+inf", "inf": return .infinity
        case "-inf": return -.infinity
        default: break
        }
        // Double(String) would also take "infinity", "nan(…)" and hexadecimal forms; only
        // digits, signs, one dot and an exponent are numbers here.
        guard field.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2B || $0 == 0x2D || $0 == 0x65 || $0 == 0x45 }) else {
            return nil
        }
        return Double(text)
    }

    static func character(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}

/// Metric names are `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names the same without the colon.
func isPrometheusNameByte(_ byte: UInt8, first: Bool, colon: Bool) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"): return true
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return !first
    case UInt8(ascii: ":"): return colon
    default: return false
    }
}
