import Logging
import SurgeConfig
import SurgeDetection
import SurgeSampling

/// Logs and counts source problems without flooding the journal: the first failure at a place
/// is logged at once, repeats at most once per `quietPeriod` with how many were suppressed, and
/// an absent kernel feature, or another notice, is mentioned once at notice level. When a
/// failing source gets through a tick without a failure, that is said once, with how long and
/// how often it failed, so the last word in the journal about a source is not a failure that
/// has passed.
public struct ProblemLog: Sendable {
    public let quietPeriod: Double
    /// Failures per location since start; exposed for status lines and tests.
    public private(set) var failures: [String: Int] = [:]
    private var lastLogged: [String: (seconds: Double, countThen: Int)] = [:]
    private var absentNoted: Set<String> = []
    /// Sources failing since the tick at `since`, with the ticks they failed in.
    private var outages: [String: (since: Double, failedTicks: Int)] = [:]
    private var failedThisTick: Set<String> = []

    public init(quietPeriod: Double = 60) {
        self.quietPeriod = quietPeriod
    }

    public var totalFailures: Int { failures.values.reduce(0, +) }

    public mutating func record(_ problems: [SourceProblem], source: String, atSeconds now: Double, logger: Logger) {
        for problem in problems {
            switch problem.kind {
            case .absentFeature, .notice:
                if absentNoted.insert(problem.location).inserted {
                    logger.notice("\(problem.message)", metadata: ["source": "\(source)"])
                }
            case .failure:
                if failedThisTick.insert(source).inserted {
                    outages[source, default: (now, 0)].failedTicks += 1
                }
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

    /// Ends a tick after every source has reported: a source that failed before and not in
    /// this tick works again. `detail` may add what the outage cost (e.g. rows dropped).
    public mutating func endTick(atSeconds now: Double, logger: Logger, detail: (String) -> String? = { _ in nil }) {
        for (source, outage) in outages.sorted(by: { $0.key < $1.key }) where !failedThisTick.contains(source) {
            outages[source] = nil
            var message = "source \(source) works again after failing in \(NumberText.counted(outage.failedTicks, "tick")) over \(Self.span(now - outage.since))"
            if let detail = detail(source) { message += "; " + detail }
            logger.notice("\(message)", metadata: ["source": "\(source)", "failed_ticks": "\(outage.failedTicks)"])
        }
        failedThisTick.removeAll(keepingCapacity: true)
    }

    /// Drops the outages of sources that are gone (a reload removed them).
    public mutating func forget(sourcesOtherThan present: Set<String>) {
        outages = outages.filter { present.contains($0.key) }
    }

    /// `2m10s`, `1s300ms`: to a tenth of a second, which is finer than any tick that counts.
    static func span(_ seconds: Double) -> String {
        DurationText.format(.milliseconds(Int64((max(0, seconds) * 10).rounded()) * 100))
    }
}
