import SurgeConfig

/// How the daemon's own alerts served its host: `replay`'s figures (EpisodeScore), computed
/// from what the daemon stored each tick (the alert state after the tick and the SLO rule's
/// verdict) instead of from a replay. A replay of the exported samples re-predicts; this is
/// what the operator actually got, online learning and restarts included.
///
/// The history is cut into runs wherever the daemon restarted (its tick count starts again)
/// or stalled (more than three intervals between ticks); each run is scored on its own and
/// the figures added up, so an episode is never joined across a gap the daemon did not see.
public struct HostRecord: Sendable {
    public let horizon: Int
    public let mergeGap: Int
    public let intervalSeconds: Double
    public private(set) var ticks = 0
    public private(set) var first: Double?
    public private(set) var last: Double?
    private typealias Run = (timestamps: [Double], labels: [Bool?], alerting: [Bool], probabilities: [Double?], lastTick: Int)
    private var run: Run = ([], [], [], [], 0)
    /// The runs before the one in progress.
    private var closed = EpisodeScore()
    private var closedReliability = Reliability()
    private var closedRuns = 0
    /// The closed runs' ticks, for `series` (kept only when asked for: the daemon's daily
    /// record does not need them).
    private var closedSeries: [PolicyGrid.Series]?

    /// The closed runs' alerts that no overload was in or followed.
    private var closedQuietAlerts: [QuietAlert] = []

    /// How each announced sale went (`alerts --record` with `[schedule] sales`); nil unless asked for.
    public private(set) var sales: SaleOutcomes?

    /// `keepingSeries`: also keep every run's ticks, for `series` (`alerts --record --policy-grid`);
    /// `sales`: also follow these announced sales (`sales`).
    public init(horizon: Int, mergeGap: Int, intervalSeconds: Double, keepingSeries: Bool = false, sales: SurgeConfig.Schedule? = nil) {
        self.horizon = horizon
        self.mergeGap = mergeGap
        self.intervalSeconds = intervalSeconds
        closedSeries = keepingSeries ? [] : nil
        self.sales = sales.map { SaleOutcomes($0, intervalSeconds: intervalSeconds) }
    }

    /// One stored tick, oldest first. `state` is the `predictions` table's: an alert is open
    /// after the tick when it is `predicted` or `breached`.
    public mutating func add(timestamp: Double, tick: Int, state: String, label: Bool?, probability: Double? = nil) {
        if let previous = run.timestamps.last,
           Self.breaksRun(after: (previous, run.lastTick), time: timestamp, tick: tick, intervalSeconds: intervalSeconds) {
            closeRun()
        }
        let alerting = state == "predicted" || state == "breached"
        run.timestamps.append(timestamp)
        run.labels.append(label)
        run.alerting.append(alerting)
        sales?.add(timestamp: timestamp, label: label, alerting: alerting)
        run.probabilities.append(probability)
        run.lastTick = tick
        ticks += 1
        if first == nil { first = timestamp }
        last = timestamp
    }

    /// The figures over everything added, the run in progress included.
    public var score: EpisodeScore {
        var total = closed
        if !run.timestamps.isEmpty { total.add(score(of: run)) }
        return total
    }

    /// Every alert no overload was in or followed, oldest first, the run in progress included:
    /// most of the score's false alarms, to say one by one (`alerts --record`).
    public var quietAlerts: [QuietAlert] { closedQuietAlerts + quietAlerts(of: run) }

    public var runs: Int { closedRuns + (run.timestamps.isEmpty ? 0 : 1) }

    /// A stored tick starts a new run of the daemon when its tick count started again (a
    /// restart) or more than three intervals passed since the previous one (a stall).
    public static func breaksRun(after previous: (time: Double, tick: Int), time: Double, tick: Int, intervalSeconds: Double) -> Bool {
        tick <= previous.tick || time - previous.time > 3 * intervalSeconds
    }

    /// Each run's stored p and SLO verdicts, to replay other alert policies on (PolicyGrid);
    /// empty unless made `keepingSeries`.
    public var series: [PolicyGrid.Series] {
        guard let closedSeries else { return [] }
        return closedSeries + (run.timestamps.isEmpty ? [] : [Self.series(of: run)])
    }

    private static func series(of run: Run) -> PolicyGrid.Series {
        PolicyGrid.Series(timestamps: run.timestamps, labels: run.labels, probabilities: run.probabilities)
    }

    /// How the stored probabilities came true, the run in progress included.
    public var reliability: Reliability {
        var total = closedReliability
        total.add(reliability(of: run))
        return total
    }

    /// The figures in one line, for the daemon's log.
    public var summary: String {
        let s = score
        let lead = s.medianLeadSeconds.map { " (median lead \(AlertMessage.duration($0)))" } ?? ""
        return "\(NumberText.counted(s.episodes, "overload episode")): \(s.caughtEarly) warned early\(lead), "
            + "\(s.continuing) continuing, \(s.episodes - s.warned) not warned; \(NumberText.counted(s.falseAlarms, "false alarm")) "
            + "(\(AlertMessage.fixed(s.falseAlarmsPerDay, 2)) a day)"
    }

    private mutating func closeRun() {
        closed.add(score(of: run))
        closedQuietAlerts += quietAlerts(of: run)
        closedReliability.add(reliability(of: run))
        closedRuns += 1
        closedSeries?.append(Self.series(of: run))
        run = ([], [], [], [], 0)
    }

    private func reliability(of run: Run) -> Reliability {
        var table = Reliability()
        table.add(probabilities: run.probabilities, labels: run.labels, horizon: horizon)
        return table
    }

    private func quietAlerts(of run: Run) -> [QuietAlert] {
        QuietAlert.of(timestamps: run.timestamps, labels: run.labels, alerting: run.alerting, probabilities: run.probabilities, horizon: horizon)
    }

    private func score(of run: Run) -> EpisodeScore {
        EpisodeScore.score(timestamps: run.timestamps, labels: run.labels, alerting: run.alerting, horizon: horizon, mergeGap: mergeGap)
    }
}
