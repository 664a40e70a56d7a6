/// What one source gave for one tick: a value per metric it declares (NaN where missing) and
/// the problems met on the way. A problem never fails the tick; the daemon logs and counts it.
public struct SourceReading: Sendable {
    public var values: [Double]
    public var problems: [SourceProblem]

    public init(values: [Double], problems: [SourceProblem] = []) {
        self.values = values
        self.problems = problems
    }
}

extension SourceReading {
    /// Every metric missing for one failure: an endpoint down, a body that does not parse.
    public static func missing(_ count: Int, location: String, _ message: String) -> SourceReading {
        SourceReading(values: [Double](repeating: .nan, count: count),
                      problems: [SourceProblem(kind: .failure, location: location, message: message)])
    }
}

public struct SourceProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The kernel or host lacks the feature (no /proc/pressure before 4.20, say): expected,
        /// reported once, not counted as a failure.
        case absentFeature
        /// Could not be read, or read but malformed.
        case failure
        /// Read, and worth saying once, not counted as a failure: a probe that times a
        /// redirect rather than the page it points to.
        case notice
    }

    public var kind: Kind
    /// Where: a path, a URL.
    public var location: String
    public var message: String

    public init(kind: Kind, location: String, message: String) {
        self.kind = kind
        self.location = location
        self.message = message
    }

    public var description: String { message }
}

/// A producer of named metrics, read once per tick. Sources keep the previous counters they
/// need for rates, so one instance belongs to one tick loop.
public protocol MetricSource: Sendable {
    /// For logs and counters: "host", "probe api", ...
    var id: String { get }
    var metricNames: [String] { get }
    /// `monotonicSeconds` comes from the caller's clock so rates are exact and testable.
    func read(monotonicSeconds: Double) async -> SourceReading
}
