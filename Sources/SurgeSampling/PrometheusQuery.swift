/// What a `[sources.prometheus.metrics]` entry computes from a scrape, in a PromQL-like form:
///
///     rate(http_requests_total)                                     a counter's per-second rate
///     ratio(rate(http_requests_total{code=~"5.."}), rate(http_requests_total))
///     histogram_quantile(0.99, http_request_duration_seconds) * 1000
///     gauge(app_inflight_requests{pool!="batch"})
///     rate(errors_total) or 0                                        absent -> 0
///
/// Each selector sums every series of that name whose labels match. Rates and quantiles are over
/// the last tick: the difference between this scrape and the previous one. The operators are
/// `+ - * /` (usual precedence), `or` (the left side unless it is missing), and parentheses.
public indirect enum PrometheusQuery: Sendable, Equatable {
    case number(Double)
    case rate(SeriesSelector)
    case gauge(SeriesSelector)
    case ratio(PrometheusQuery, PrometheusQuery)
    /// φ and the histogram's base name (its `_bucket` series are read).
    case histogramQuantile(Double, SeriesSelector)
    case binary(BinaryOperator, PrometheusQuery, PrometheusQuery)

    public enum BinaryOperator: String, Sendable, Equatable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", or
    }

    /// The metric names a scrape must carry for this query: a histogram's buckets are
    /// `<name>_bucket` series.
    public var seriesNames: Set<String> { Set(selectors.map(\.name)) }

    /// The rates of labelled series with nothing to fall back on (`or`), outside a ratio's or
    /// a division's denominator: each is missing while no series matches, which for a counter
    /// a client library has not made yet (no 5xx answered) means none, not unknown.
    public var labelledRatesWithoutFallback: [SeriesSelector] {
        switch self {
        case .rate(let s): return s.matchers.isEmpty ? [] : [s]
        case .number, .gauge, .histogramQuantile: return []
        case .ratio(let a, _), .binary(.divide, let a, _): return a.labelledRatesWithoutFallback
        case .binary(.or, _, _): return []
        case .binary(_, let a, let b): return a.labelledRatesWithoutFallback + b.labelledRatesWithoutFallback
        }
    }

    /// The selectors whose missing value makes this query's missing: all but those on the left
    /// of an `or`.
    public var selectorsWithoutFallback: [SeriesSelector] {
        switch self {
        case .binary(.or, _, let b): return b.selectorsWithoutFallback
        case .ratio(let a, let b), .binary(_, let a, let b): return a.selectorsWithoutFallback + b.selectorsWithoutFallback
        case .number, .rate, .gauge, .histogramQuantile: return selectors
        }
    }

    /// The selectors this query reads, in order, a histogram's naming its `_bucket` series.
    public var selectors: [SeriesSelector] {
        switch self {
        case .number: return []
        case .rate(let s), .gauge(let s): return [s]
        case .histogramQuantile(_, var s):
            s.name += "_bucket"
            return [s]
        case .ratio(let a, let b), .binary(_, let a, let b): return a.selectors + b.selectors
        }
    }
}

/// `name{label="value", label=~"regex", ...}`
public struct SeriesSelector: Sendable, Equatable {
    public var name: String
    public var matchers: [LabelMatcher]

    public init(name: String, matchers: [LabelMatcher] = []) {
        self.name = name
        self.matchers = matchers
    }

    public func matches(_ sample: PrometheusSample) -> Bool {
        matchers.allSatisfy { $0.matches(sample.label($0.label) ?? "") }
    }

    /// As written in a query: `http_requests_total{code=~"5.."}`.
    public var text: String {
        func quoted(_ value: String) -> String {
            "\"" + value.flatMap { $0 == "\"" || $0 == "\\" ? ["\\", $0] : [$0] } + "\""
        }
        return matchers.isEmpty ? name : name + "{" + matchers.map { $0.label + $0.op.rawValue + quoted($0.value) }.joined(separator: ",") + "}"
    }
}

/// One label test. As in PromQL, an absent label reads as the empty string, and regular
/// expressions are anchored at both ends (`code=~"5.."` matches "503", not "1503").
public struct LabelMatcher: Sendable, Equatable {
    public enum Operator: String, Sendable, Equatable {
        case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~"
    }

    public var label: String
    public var op: Operator
    public var value: String
    private let pattern: LabelPattern?

    public init(label: String, op: Operator, value: String) throws(PrometheusQueryError) {
        self.label = label
        self.op = op
        self.value = value
        if op == .matches || op == .notMatches {
            do {
                pattern = LabelPattern(try Regex(value))
            } catch {
                throw PrometheusQueryError(offset: 0, reason: "invalid regular expression \"\(value)\" for label '\(label)': \(error)")
            }
        } else {
            pattern = nil
        }
    }

    public func matches(_ labelValue: String) -> Bool {
        switch op {
        case .equal: return labelValue == value
        case .notEqual: return labelValue != value
        case .matches: return pattern!.wholeMatches(labelValue)
        case .notMatches: return !pattern!.wholeMatches(labelValue)
        }
    }

    public static func == (lhs: LabelMatcher, rhs: LabelMatcher) -> Bool {
        lhs.label == rhs.label && lhs.op == rhs.op && lhs.value == rhs.value
    }
}

/// A compiled label regex. `Regex` is not `Sendable`, but a compiled one is never mutated, so
/// sharing it between tasks is safe.
private final class LabelPattern: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>
    init(_ regex: Regex<AnyRegexOutput>) { self.regex = regex }
    func wholeMatches(_ text: String) -> Bool { (try? regex.wholeMatch(in: text)) != nil }
}

/// A query that does not parse: `offset` is the 0-based UTF-8 offset into the query text.
public struct PrometheusQueryError: Error, Equatable, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { reason }
}

extension PrometheusQuery {
    public static func parse(_ text: String) throws(PrometheusQueryError) -> PrometheusQuery {
        var parser = QueryParser(text)
        let query = try parser.expression()
        parser.skipBlanks()
        guard parser.atEnd else { throw parser.fail("unexpected '\(parser.rest)' after the expression") }
        return query
    }
}

/// Recursive descent: expression := sum ('or' sum)*; sum := product (('+'|'-') product)*;
/// product := primary (('*'|'/') primary)*; primary := number | call | '(' expression ')'.
/// Nesting and size are bounded: the parser, the evaluator and the tree's release all recurse,
/// and a query thousands of levels deep would overflow the stack instead of being refused.
private struct QueryParser {
    /// Parentheses and ratio(...) inside each other: no query anyone writes nests this deep.
    static let deepestNesting = 32
    /// Operators and functions in one query: each makes the evaluated tree one level deeper.
    static let mostOperations = 256

    let bytes: [UInt8]
    var index = 0
    var nesting = 0
    var operations = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var atEnd: Bool { index >= bytes.count }
    var rest: String { String(decoding: bytes[index...].prefix(30), as: UTF8.self) }

    func fail(_ reason: String, at offset: Int? = nil) -> PrometheusQueryError {
        PrometheusQueryError(offset: offset ?? index, reason: reason)
    }

    mutating func skipBlanks() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    }

    mutating func take(_ byte: Character) -> Bool {
        skipBlanks()
        guard index < bytes.count, bytes[index] == byte.asciiValue! else { return false }
        index += 1
        return true
    }

    mutating func expect(_ byte: Character, _ context: String) throws(PrometheusQueryError) {
        guard take(byte) else {
            throw fail(atEnd ? "expected '\(byte)' \(context), got the end" : "expected '\(byte)' \(context), got '\(rest)'")
        }
    }

    mutating func expression() throws(PrometheusQueryError) -> PrometheusQuery {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Self.deepestNesting else {
            throw fail("nested more than \(Self.deepestNesting) levels deep (parentheses and ratio)")
        }
        var left = try sum()
        while true {
            skipBlanks()
            let save = index
            guard identifier() == "or" else { index = save; return left }
            try count()
            left = .binary(.or, left, try sum())
        }
    }

    mutating func sum() throws(PrometheusQueryError) -> PrometheusQuery {
        var left = try product()
        while true {
            if take("+") { try count(); left = .binary(.add, left, try product()) }
            else if take("-") { try count(); left = .binary(.subtract, left, try product()) }
            else { return left }
        }
    }

    mutating func product() throws(PrometheusQueryError) -> PrometheusQuery {
        var left = try primary()
        while true {
            if take("*") { try count(); left = .binary(.multiply, left, try primary()) }
            else if take("/") { try count(); left = .binary(.divide, left, try primary()) }
            else { return left }
        }
    }

    /// One more operator or function, refused past `mostOperations`.
    mutating func count() throws(PrometheusQueryError) {
        operations += 1
        guard operations <= Self.mostOperations else {
            throw fail("more than \(Self.mostOperations) operators and functions in one query")
        }
    }

    mutating func primary() throws(PrometheusQueryError) -> PrometheusQuery {
        skipBlanks()
        guard !atEnd else { throw fail("expected a number or rate(...), gauge(...), ratio(...), histogram_quantile(...), got the end") }
        if take("(") {
            let inner = try expression()
            try expect(")", "to close '('")
            return inner
        }
        if let number = number() { return .number(number) }
        let start = index
        let name = identifier()
        if !name.isEmpty { try count() }
        switch name {
        case "rate", "gauge":
            try expect("(", "after '\(name)'")
            let selector = try self.selector()
            try expect(")", "to close \(name)(")
            return name == "rate" ? .rate(selector) : .gauge(selector)
        case "ratio":
            try expect("(", "after 'ratio'")
            let numerator = try expression()
            try expect(",", "between ratio's two arguments")
            let denominator = try expression()
            try expect(")", "to close ratio(")
            return .ratio(numerator, denominator)
        case "histogram_quantile":
            try expect("(", "after 'histogram_quantile'")
            skipBlanks()
            let phiStart = index
            guard let phi = number(), phi >= 0, phi <= 1 else {
                throw fail("histogram_quantile needs a quantile from 0 to 1 first, such as 0.99", at: phiStart)
            }
            try expect(",", "after the quantile")
            skipBlanks()
            let selectorStart = index
            let selector = try self.selector()
            // PromQL's habit: histogram_quantile(0.99, rate(x_bucket[5m])).
            if selector.name.hasSuffix("_bucket") {
                throw fail("write the histogram's name, \(selector.name.dropLast("_bucket".count)): its _bucket series are read, "
                           + "and their increase over the last tick taken", at: selectorStart)
            }
            if ["rate", "irate", "increase", "sum"].contains(selector.name), take("(") {
                throw fail("write histogram_quantile(\(phi), NAME) with the histogram's name: the increase of its "
                           + "buckets over the last tick is taken for you", at: selectorStart)
            }
            try expect(")", "to close histogram_quantile(")
            return .histogramQuantile(phi, selector)
        case "":
            throw fail("expected a number or rate(...), gauge(...), ratio(...), histogram_quantile(...), got '\(rest)'")
        case "sum", "avg", "max", "min":
            throw fail("'\(name)' is not needed: each rate(...) or gauge(...) sums the series its selector matches", at: start)
        case "irate", "increase":
            throw fail("'\(name)' is rate(...) here: the per-second increase since the last tick's scrape", at: start)
        default:
            throw fail("unknown function '\(name)'; expected rate, gauge, ratio or histogram_quantile", at: start)
        }
    }

    mutating func selector() throws(PrometheusQueryError) -> SeriesSelector {
        skipBlanks()
        let start = index
        while index < bytes.count, isPrometheusNameByte(bytes[index], first: index == start, colon: true) { index += 1 }
        guard index > start else { throw fail("expected a metric name") }
        let name = String(decoding: bytes[start..<index], as: UTF8.self)
        var matchers: [LabelMatcher] = []
        if take("{") {
            while !take("}") {
                skipBlanks()
                let labelStart = index
                while index < bytes.count, isPrometheusNameByte(bytes[index], first: index == labelStart, colon: false) { index += 1 }
                guard index > labelStart else { throw fail("expected a label name or '}'") }
                let label = String(decoding: bytes[labelStart..<index], as: UTF8.self)
                skipBlanks()
                let opStart = index
                let op: LabelMatcher.Operator
                if take("=") {
                    op = take("~") ? .matches : .equal
                } else if take("!") {
                    if take("=") { op = .notEqual } else if take("~") { op = .notMatches } else {
                        throw fail("expected '!=' or '!~' after label '\(label)'", at: opStart)
                    }
                } else {
                    throw fail("expected =, !=, =~ or !~ after label '\(label)'")
                }
                skipBlanks()
                let valueStart = index
                let value = try quoted()
                do {
                    matchers.append(try LabelMatcher(label: label, op: op, value: value))
                } catch {
                    throw fail(error.reason, at: valueStart)
                }
                if !take(",") {
                    try expect("}", "or ',' after a label matcher")
                    break
                }
            }
        }
        skipBlanks()
        if index < bytes.count, bytes[index] == UInt8(ascii: "[") {
            throw fail("no range is written here: rates and quantiles are over the last tick (the scrape before this one)")
        }
        return SeriesSelector(name: name, matchers: matchers)
    }

    /// A label value in double or single quotes, with backslash escapes.
    mutating func quoted() throws(PrometheusQueryError) -> String {
        guard index < bytes.count, bytes[index] == 0x22 || bytes[index] == 0x27 else {
            throw fail("expected a quoted label value")
        }
        let quote = bytes[index]
        let start = index
        index += 1
        var value: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote { index += 1; return String(decoding: value, as: UTF8.self) }
            if byte == 0x5C, index + 1 < bytes.count {
                let escaped = bytes[index + 1]
                switch escaped {
                case UInt8(ascii: "n"): value.append(0x0A)
                case UInt8(ascii: "t"): value.append(0x09)
                default: value.append(escaped)
                }
                index += 2
            } else {
                value.append(byte)
                index += 1
            }
        }
        throw fail("unterminated quoted value", at: start)
    }

    mutating func identifier() -> String {
        let start = index
        while index < bytes.count, isPrometheusNameByte(bytes[index], first: index == start, colon: false) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func number() -> Double? {
        skipBlanks()
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            let digit = byte >= 0x30 && byte <= 0x39
            let exponentSign = (byte == 0x2B || byte == 0x2D) && index > start && (bytes[index - 1] | 0x20) == 0x65
            guard digit || byte == 0x2E || (byte | 0x20) == 0x65 && index > start || exponentSign else { break }
            index += 1
        }
        guard index > start, let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            index = start
            return nil
        }
        return value
    }
}
