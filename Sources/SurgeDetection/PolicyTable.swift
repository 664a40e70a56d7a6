import SurgeConfig

/// One `[alert]` fire policy for every row of an evaluation: each policy of a grid scored on
/// several rows (World Cup, flash sales, ... each of several traces) at once, with the state
/// machine and `EpisodeScore` that `replay` uses. `PolicyGrid` chooses a policy for one trace or
/// one host's history; this chooses the one a default config should ship, against targets that
/// hold on *every* row (BENCHMARKS.md, "Waiting longer before firing").
public struct PolicyTable: Sendable {
    /// A row of the evaluation: its traces, scored with its config's horizon and resolve run.
    public struct Row: Sendable {
        public var name: String
        public var series: [PolicyGrid.Series]
        public var horizon: Int
        public var mergeGap: Int
        /// The fire policy of the row's own config, where it sets one of its own: the table's
        /// `own` entry scores the row under it (the row's config is what replay ran); nil: `own`.
        public var ownPolicy: AlertPolicy?

        public init(name: String, series: [PolicyGrid.Series], horizon: Int, mergeGap: Int, ownPolicy: AlertPolicy? = nil) {
            self.name = name
            self.series = series
            self.horizon = horizon
            self.mergeGap = mergeGap
            self.ownPolicy = ownPolicy
        }
    }

    /// A policy, its text in the config's own words, and its score on each row (rows' order).
    public struct Entry: Sendable {
        public var text: String
        public var policy: AlertPolicy
        public var scores: [EpisodeScore]

        /// Episodes warned (early or continuing) less false alarms, added over the rows: what
        /// an operator gains from the alerts, a false alarm costing as much as a warning is worth.
        public var net: Int { scores.reduce(0) { $0 + $1.warned - $1.falseAlarms } }
        /// The smallest share of episodes warned on any row.
        public var worstWarnedFraction: Double { scores.map(\.warnedFraction).min() ?? 1 }
        /// The most false alarms a day on any row.
        public var worstFalseAlarmsPerDay: Double { scores.map(\.falseAlarmsPerDay).max() ?? 0 }
    }

    public let rows: [Row]
    /// The config's own policy first, then the grid's.
    public let entries: [Entry]

    /// Scores `own` (on a row with a policy of its own, that one) and every policy of `grid`
    /// on `rows`, side by side on every core.
    public init(rows: [Row], own: (text: String, policy: AlertPolicy), grid: [(text: String, policy: AlertPolicy)]) {
        self.rows = rows
        let owned = rows.map { row in Self.score(row.ownPolicy ?? own.policy, on: row) }
        let scores = SideBySide.map(grid.map(\.policy)) { policy in rows.map { Self.score(policy, on: $0) } }
        entries = [Entry(text: own.text, policy: own.policy, scores: owned)]
            + zip(grid, scores).map { Entry(text: $0.text, policy: $0.policy, scores: $1) }
    }

    /// The config's own policy.
    public var own: Entry { entries[0] }

    /// The grid's policies among those `admitted`, the best net over the rows first (ties: fewer
    /// false alarms, then the earlier in the grid, the simpler policy).
    public func ranked(_ admitted: (Entry) -> Bool = { _ in true }) -> [Entry] {
        ordered(admitted) { ($0.net, -$0.falseAlarms) > ($1.net, -$1.falseAlarms) }
    }

    /// The grid's policy that nets most over the rows among those `admitted` (ties as `ranked`).
    public func best(netOf admitted: (Entry) -> Bool = { _ in true }) -> Entry? {
        ranked(admitted).first
    }

    /// The grid's policy whose worst row warns the largest share among those `admitted` (ties:
    /// the better net).
    public func best(worstRowOf admitted: (Entry) -> Bool) -> Entry? {
        ordered(admitted) { ($0.worstWarnedFraction, $0.net) > ($1.worstWarnedFraction, $1.net) }.first
    }

    /// The targets on every row: at most `falseAlarmsPerDay` a day, at least
    /// `warnedFraction` of the episodes warned.
    public static func meets(falseAlarmsPerDay: Double = 1, warnedFraction: Double = 0.7) -> (Entry) -> Bool {
        { $0.worstFalseAlarmsPerDay <= falseAlarmsPerDay && $0.worstWarnedFraction >= warnedFraction }
    }

    /// `policy`'s alerts on each of the row's traces, scored and added up; `holding`: per trace,
    /// the ticks an `[alert] hold` holds (HoldSearch), or nil for none.
    public static func score(_ policy: AlertPolicy, on row: Row,
                             holding: (PolicyGrid.Series) -> [Bool]? = { _ in nil }) -> EpisodeScore {
        var total = EpisodeScore()
        for part in row.series where !part.timestamps.isEmpty {
            var policy = policy
            if let sale = part.saleFireProbability { policy.saleFireProbability = sale }
            total.add(EpisodeScore.score(timestamps: part.timestamps, labels: part.labels,
                                         alerting: alertSeries(probabilities: part.probabilities, labels: part.labels,
                                                               policy: policy, holding: holding(part),
                                                               saleStarts: part.saleStarts.isEmpty ? nil : part.saleStarts,
                                                               saleLevels: part.saleLevels.isEmpty ? nil : part.saleLevels,
                                                               rulePending: part.rulePending.isEmpty ? nil : part.rulePending),
                                         horizon: row.horizon, mergeGap: row.mergeGap))
        }
        return total
    }

    /// The fire policies a default config could ship, all expressible in `[alert]` with the
    /// config's resolve band, run, settle and level a tick before the rule holds: fire
    /// threshold × ticks in a row (1-4) × at-once level (never below the fire threshold) × leap
    /// level (from below the resolve threshold).
    /// `saleFireProbability`: each policy's threshold in an announced sale's window (`[schedule]`,
    /// not a key of `[alert]`), for rows whose series mark them.
    public static func fireGrid(_ alert: SurgeConfig.Alert, saleFireProbability: Double = 1) -> [(text: String, policy: AlertPolicy)] {
        var grid: [(text: String, policy: AlertPolicy)] = []
        for fire in [0.7, 0.8, 0.85, 0.9, 0.95] where fire > alert.resolveProbability {
            for after in 1...4 {
                for atOnce in [0.95, 0.96, 0.97, 0.99, 1] where atOnce >= fire {
                    for leap in [1, 0.5, 0.6, 0.7, 0.8, 0.9] where leap >= 1 || leap > alert.resolveProbability {
                        let policy = AlertPolicy(fireProbability: fire, resolveProbability: alert.resolveProbability,
                                                 fireAfter: after, resolveAfter: alert.resolveAfter,
                                                 fireAtOnceProbability: atOnce, fireOnLeapProbability: leap,
                                                 saleFireProbability: saleFireProbability,
                                                 firePendingProbability: alert.firePendingProbability,
                                                 settleProbability: alert.settleFits(resolve: alert.resolveProbability, fire: fire)
                                                     ? alert.settleProbability : 0,
                                                 settleAfter: alert.settleAfter)
                        grid.append((text(of: policy), policy))
                    }
                }
            }
        }
        return grid
    }

    /// A policy's fire settings as `[alert]` lines would set them.
    public static func text(of policy: AlertPolicy) -> String {
        "fire_probability = \(policy.fireProbability), fire_after = \(policy.fireAfter), "
            + "fire_at_once_probability = \(policy.fireAtOnceProbability), "
            + "fire_on_leap_probability = \(policy.fireOnLeapProbability)"
            // Named only where it fires: the grid leaves it as the config has it.
            + (policy.firePendingProbability < 1 ? ", fire_on_pending_probability = \(policy.firePendingProbability)" : "")
    }

    /// The grid's policies among those `admitted`, each before those it is `better` than, ties
    /// in the grid's order.
    private func ordered(_ admitted: (Entry) -> Bool, by better: (Entry, Entry) -> Bool) -> [Entry] {
        entries.dropFirst().enumerated().filter { admitted($0.element) }.sorted {
            better($0.element, $1.element) || (!better($1.element, $0.element) && $0.offset < $1.offset)
        }.map(\.element)
    }
}

extension PolicyTable.Entry {
    var falseAlarms: Int { scores.reduce(0) { $0 + $1.falseAlarms } }
}
