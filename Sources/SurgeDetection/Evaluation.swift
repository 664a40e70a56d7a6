/// How well a series of alerts served a trace's overload episodes (`replay`'s summary and the
/// evaluation in BENCHMARKS.md). Pure arithmetic over per-tick series.
///
/// - An *episode* is a run of overload ticks (label 1); runs closer than `mergeGap` ticks
///   are one episode, since no alert would have resolved in between.
/// - *Caught*: an alert is open at some tick of the episode. *Early*: an alert is open at the
///   tick before the episode's first tick (so the operator had at least one tick of warning)
///   and opened at most `staleAfter` ticks before it; its *lead* is the time from that
///   alert's opening to the episode's first tick. (An alert open for hours says nothing.)
/// - *Continuing*: not early, but the alert open at the tick before the episode has been open
///   since an earlier episode (it opened more than `staleAfter` ticks before, and covered
///   overload since). In a long hot spell the shop breaks its SLO again and again while one
///   alert stays open, as hysteresis means it to; the operator is already alerted, so such an
///   episode is neither a fresh warning nor a miss. A policy that resolved and fired again
///   between them would flap, and would score them as early. *Warned* = early + continuing:
///   the episodes the operator was alerted to before they began.
/// - *False alarms*: a tick of an alert is *quiet* when neither it nor any of the `horizon`
///   ticks after it is overload. An alert whose ticks are all quiet warned of nothing: it
///   counts one false alarm for each `staleAfter` ticks begun (a short wrong alert counts once,
///   one left open all day many times). In an alert that does cover overload, each unbroken run
///   of quiet ticks counts one for each full `staleAfter` ticks: opening half an hour early, or
///   lingering half an hour after the breach, is a false alarm; closing a few ticks after it is
///   not. (Until session 50 such an alert was cut into `staleAfter` pieces counted from its
///   opening, so a short tail after the breach counted or not by where the cut fell.)
///   Reported per day of trace.
public struct EpisodeScore: Sendable, Equatable {
    public var episodes = 0
    public var caught = 0
    public var caughtEarly = 0
    public var continuing = 0
    public var leadSeconds: [Double] = []
    public var alerts = 0
    public var falseAlarms = 0
    /// Per alert that covered overload and closed before the trace ended: how long it stayed
    /// open after its last overload tick. False alarms forgive a tail under `staleAfter`; this
    /// shows what such tails cost the operator.
    public var afterBreachSeconds: [Double] = []
    public var days = 0.0

    /// Adds another trace's figures (episodes, alarms and days add up).
    public mutating func add(_ other: EpisodeScore) {
        episodes += other.episodes
        caught += other.caught
        caughtEarly += other.caughtEarly
        continuing += other.continuing
        leadSeconds += other.leadSeconds
        alerts += other.alerts
        falseAlarms += other.falseAlarms
        afterBreachSeconds += other.afterBreachSeconds
        days += other.days
    }

    public var recall: Double { episodes > 0 ? Double(caught) / Double(episodes) : 1 }
    public var earlyFraction: Double { episodes > 0 ? Double(caughtEarly) / Double(episodes) : 1 }
    public var warned: Int { caughtEarly + continuing }
    public var warnedFraction: Double { episodes > 0 ? Double(warned) / Double(episodes) : 1 }
    public var falseAlarmsPerDay: Double { days > 0 ? Double(falseAlarms) / days : 0 }
    public var medianLeadSeconds: Double? { Self.median(leadSeconds) }
    public var medianAfterBreachSeconds: Double? { Self.median(afterBreachSeconds) }

    private static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// `labels`: per tick, nil when unknown (never part of an episode); `alerting`: an alert is
    /// open after that tick.
    /// Ticks after which an open alert no longer counts as a warning (30 minutes of 10 s ticks).
    public static let defaultStaleAfter = 180

    public static func score(timestamps: [Double], labels: [Bool?], alerting: [Bool], horizon: Int, mergeGap: Int,
                             staleAfter: Int = defaultStaleAfter) -> EpisodeScore {
        precondition(timestamps.count == labels.count && labels.count == alerting.count)
        var score = EpisodeScore()
        let n = labels.count
        guard n > 0 else { return score }
        let tick = n > 1 ? (timestamps[n - 1] - timestamps[0]) / Double(n - 1) : 10
        score.days = Double(n) * tick / 86400

        // Episodes as [start, end] tick ranges.
        var episodes: [(start: Int, end: Int)] = []
        for index in 0..<n where labels[index] == true {
            if let last = episodes.last, index - last.end <= mergeGap {
                episodes[episodes.count - 1].end = index
            } else {
                episodes.append((index, index))
            }
        }
        score.episodes = episodes.count
        let alerts = alertRanges(alerting)
        score.alerts = alerts.count
        let overloadPrefix = overloadPrefix(labels)
        for episode in episodes {
            if (episode.start...episode.end).contains(where: { alerting[$0] }) { score.caught += 1 }
            let before = episode.start - 1
            guard before >= 0, alerting[before], let alert = alerts.last(where: { $0.open <= before }) else { continue }
            if episode.start - alert.open <= staleAfter {
                score.caughtEarly += 1
                score.leadSeconds.append(timestamps[episode.start] - timestamps[alert.open])
            } else if overloadPrefix[episode.start] - overloadPrefix[alert.open] > 0 {
                score.continuing += 1
            }
        }
        func overloadWithinHorizon(from start: Int, to last: Int) -> Bool {
            Self.overload(overloadPrefix, from: start, to: last, horizon: horizon)
        }
        for alert in alerts {
            guard overloadWithinHorizon(from: alert.open, to: alert.close) else {
                score.falseAlarms += quietAlertCount(alert, staleAfter: staleAfter)
                continue
            }
            var quietRun = 0, lastOverload: Int?
            for tick in alert.open...alert.close {
                if labels[tick] == true { lastOverload = tick }
                if overloadWithinHorizon(from: tick, to: tick) {
                    score.falseAlarms += quietRun / staleAfter
                    quietRun = 0
                } else {
                    quietRun += 1
                }
            }
            score.falseAlarms += quietRun / staleAfter
            if let lastOverload, alert.close < n - 1 {
                score.afterBreachSeconds.append(timestamps[alert.close] - timestamps[lastOverload])
            }
        }
        return score
    }
}

extension EpisodeScore {
    /// Alerts as [open, close] tick ranges (close: the last tick it was open).
    static func alertRanges(_ alerting: [Bool]) -> [(open: Int, close: Int)] {
        var alerts: [(open: Int, close: Int)] = []
        for index in alerting.indices where alerting[index] {
            if let last = alerts.last, last.close == index - 1 {
                alerts[alerts.count - 1].close = index
            } else {
                alerts.append((index, index))
            }
        }
        return alerts
    }

    /// The overload ticks before each index: any span's count in two reads.
    static func overloadPrefix(_ labels: [Bool?]) -> [Int] {
        var prefix = [Int](repeating: 0, count: labels.count + 1)
        for index in labels.indices { prefix[index + 1] = prefix[index] + (labels[index] == true ? 1 : 0) }
        return prefix
    }

    /// Whether a tick from `start` to `last`, or within `horizon` after, is overload.
    static func overload(_ prefix: [Int], from start: Int, to last: Int, horizon: Int) -> Bool {
        prefix[min(prefix.count - 2, last + horizon) + 1] - prefix[start] > 0
    }

    /// The false alarms an alert with no overload in it or after it counts: one per
    /// `staleAfter` ticks begun.
    static func quietAlertCount(_ alert: (open: Int, close: Int), staleAfter: Int) -> Int {
        (alert.close - alert.open + staleAfter) / staleAfter
    }

    /// Warned episodes less false alarms: what the searches of a host's history rank settings by.
    var net: Int { warned - falseAlarms }

    /// Of `candidates`, the one that nets most; ties go to fewer false alarms, then to the first.
    static func nettingMost<T>(_ candidates: [(T, EpisodeScore)]) -> (T, EpisodeScore)? {
        candidates.reduce(nil as (T, EpisodeScore)?) { best, next in
            guard let best else { return next }
            return (next.1.net, -next.1.falseAlarms) > (best.1.net, -best.1.falseAlarms) ? next : best
        }
    }
}

/// An alert series from a per-tick "warn" signal, through the pipeline's own
/// AlertStateMachine (a warning tick is p = 1, a holding one p = 0.5, any other p = 0): open
/// after `fireAfter` warning ticks in a row or at once when the rule holds (every deployment
/// alerts on its SLO rule too), closed after `resolveAfter` ticks with neither a warning nor
/// a hold (`hold` nil: only the warning holds it).
public func alertSeries(warn: [Bool], hold: [Bool]? = nil, labels: [Bool?], fireAfter: Int, resolveAfter: Int) -> [Bool] {
    let policy = AlertPolicy(fireProbability: 1, resolveProbability: 0.5, fireAfter: fireAfter, resolveAfter: resolveAfter,
                             horizonSeconds: 0, fireAtOnceProbability: 1)
    let probabilities: [Double?] = warn.indices.map { warn[$0] ? 1 : (hold?[$0] == true ? 0.5 : 0) }
    return alertSeries(probabilities: probabilities, labels: labels, policy: policy)
}

/// Per tick: is an alert open when `policy`'s state machine sees these probabilities and labels?
/// The baselines and the policy grid score hundreds of settings over every tick of a trace, so
/// the machine is not shown the *idle* ticks: no alert open, none about to fire (p under both
/// fire thresholds, the rule not holding), after another such tick. Such a tick only keeps the
/// machine where the tick before left it (closed, no run of high p), so the series is the
/// same as when it sees every tick (tested). With `fireOnLeapProbability` on, every tick is
/// shown: a leap depends on the tick before. `saleStarts`: per tick, the announced sale whose
/// window holds it (`AlertObservation.saleStart`), where the sale's threshold counts too;
/// `saleLevels`: per tick, whether `[schedule] fire_when` holds there (`AlertObservation.saleLevel`);
/// `rulePending`: per tick, whether the rule is one tick from holding (`AlertObservation.rulePending`).
public func alertSeries(probabilities: [Double?], labels: [Bool?], policy: AlertPolicy, holding: [Bool]? = nil,
                        saleStarts: [Double?]? = nil, saleLevels: [Bool]? = nil, rulePending: [Bool]? = nil) -> [Bool] {
    var machine = AlertStateMachine(policy: policy, clock: TraceClock(), makeID: { "" })
    let atOnce = policy.fireAtOnceProbability < 1 ? policy.fireAtOnceProbability : Double.infinity
    let lowest = min(policy.fireProbability, atOnce)
    let inSale = policy.saleFireProbability < 1 ? min(lowest, policy.saleFireProbability) : lowest
    var idle = false
    return probabilities.indices.map { index in
        let saleStart = saleStarts?[index] ?? nil, saleLevel = saleLevels?[index] ?? false
        let pending = policy.firePendingProbability < 1 && rulePending?[index] == true
        let quiet = (probabilities[index] ?? 0) < (saleStart == nil ? lowest : inSale) && labels[index] != true && !saleLevel && !pending
        // A leap needs the tick before's p, which a skipped tick would not leave in the machine.
        if idle && quiet && policy.fireOnLeapProbability >= 1 { return false }
        _ = machine.observe(AlertObservation(probability: probabilities[index], ruleHolds: labels[index],
                                             holding: holding?[index] ?? false, saleStart: saleStart, saleLevel: saleLevel,
                                             rulePending: pending))
        idle = quiet && machine.open == nil
        return machine.open != nil
    }
}
