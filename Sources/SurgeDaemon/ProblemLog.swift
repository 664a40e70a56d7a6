import Logging
import SurgeSampling

/// Logs and counts source problems without flooding the journal: the first failure at a place
/// is logged at once, repeats at most once per `quietPeriod` with how many were suppressed, and
/// an absent kernel feature is mentioned once at notice level.
public struct ProblemLog: Sendable {
    public let quietPeriod: Double
    /// Failures per location since start; exposed for status lines and tests.
    public private(set) var failures: [String: Int] = [:]
    private var lastLogged: [String: (seconds: Double, countThen: Int)] = [:]
    private var absentNoted: Set<String> = []

    public init(quietPeriod: Double = 60) {
        self.quietPeriod = quietPeriod
    }

    public var totalFailures: Int { failures.values.reduce(0, +) }

    public mutating func record(_ problems: [SourceProblem], source: String, atSeconds now: Double, logger: Logger) {
        for problem in problems {
            switch problem.kind {
            case .absentFeature:
                if absentNoted.insert(problem.location).inserted {
                    logger.notice("\(problem.message)", metadata: ["source": "\(source)"])
                }
            case .failure:
                let count = failures[problem.location, default: 0] + 1
                failures[problem.location] = count
                if let last = lastLogged[problem.location], now - last.seconds < quietPeriod { continue }
                let suppressed = count - 1 - (lastLogged[problem.location]?.countThen ?? 0)
                var message = "source \(source) failed: \(problem.message)"
                if suppressed > 0 { message += " (\(suppressed) more since last report)" }
                logger.warning("\(message)", metadata: ["source": "\(source)", "failures": "\(count)"])
                lastLogged[problem.location] = (now, count)
            }
        }
    }
}
