/// One clause of the SLO rule: `METRIC OP NUMBER`, e.g. `http_p99_ms > 1000`.
public struct OverloadCondition: Equatable, Sendable, CustomStringConvertible {
    public enum Comparison: String, CaseIterable, Sendable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="

        public func holds(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .greater: return value > threshold
            case .greaterOrEqual: return value >= threshold
            case .less: return value < threshold
            case .lessOrEqual: return value <= threshold
            }
        }
    }

    public var metric: String
    public var comparison: Comparison
    public var threshold: Double

    public init(metric: String, comparison: Comparison, threshold: Double) {
        self.metric = metric
        self.comparison = comparison
        self.threshold = threshold
    }

    /// Parses `"METRIC OP NUMBER"`; the error text says what part is wrong. Spaces around the
    /// operator may be left out (`cpu_busy>0.6`, as PromQL allows), and any space separates,
    /// the full-width U+3000 that Chinese input methods type included, which looks like one.
    public static func parse(_ text: String) -> Result<OverloadCondition, ParseFailure> {
        guard let parts = tokens(text) else {
            return .failure(ParseFailure("expected \"METRIC OP NUMBER\" such as \"http_p99_ms > 1000\", got \"\(text)\""))
        }
        let metric = parts[0]
        guard MetricNameRule.isValid(metric) else {
            return .failure(ParseFailure("'\(metric)' is not a metric name (lower-case letters, digits and _)"))
        }
        guard let comparison = Comparison(rawValue: String(parts[1])) else {
            return .failure(ParseFailure("unknown operator '\(parts[1])'; use one of > >= < <="))
        }
        guard let threshold = Double(parts[2]), threshold.isFinite else {
            let advice = MetricScale.unitAdvice(parts[2], for: metric).map { "; " + $0 } ?? ""
            return .failure(ParseFailure("'\(parts[2])' is not a number\(advice)"))
        }
        return .success(OverloadCondition(metric: metric, comparison: comparison, threshold: threshold))
    }

    /// The metric, the operator and the number; nil unless the text is those three and no more.
    private static func tokens(_ text: String) -> [String]? {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace }
        func isOperator(_ scalar: Unicode.Scalar) -> Bool { "<>=!".unicodeScalars.contains(scalar) }
        func take(while accept: (Unicode.Scalar) -> Bool) -> String {
            while index < scalars.count, isSpace(scalars[index]) { index += 1 }
            let start = index
            while index < scalars.count, accept(scalars[index]) { index += 1 }
            return String(String.UnicodeScalarView(scalars[start..<index]))
        }
        let metric = take { !isSpace($0) && !isOperator($0) }
        var comparison = take(while: isOperator)
        // No operator character: the next word, for the error to name (a full-width '＞').
        if comparison.isEmpty { comparison = take { !isSpace($0) } }
        let number = take { !isSpace($0) }
        let rest = take { _ in true }
        guard !metric.isEmpty, !comparison.isEmpty, !number.isEmpty, rest.isEmpty else { return nil }
        return [metric, comparison, number]
    }

    public var description: String {
        "\(metric) \(comparison.rawValue) \(Self.written(threshold))"
    }

    /// 0.01, 1000, 0.25: the shortest text Double gives, without a trailing ".0".
    static func written(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    public struct ParseFailure: Error, Equatable, Sendable {
        public var message: String
        init(_ message: String) { self.message = message }
    }
}

enum MetricNameRule {
    static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
