import SurgeConfig

/// Which weights serve when a model trained offline keeps learning online: the trained ones,
/// or the ones learned on this host. Each tick both predict; each drives an alert state machine
/// of its own that no one sees, and the host's SLO rule scores both over the last
/// `recordTicks` ticks as `replay` scores a trace (warned episodes − false alarms, EpisodeScore).
/// The learned weights serve once they net `margin` more than the trained ones, the trained
/// ones again once they net more than the learned ones.
///
/// Why: on hosts like the shops the built-in model was trained on, online learning has nothing
/// to add, and its small steps cost warned episodes and add false alarms (over five evaluation
/// traces of each shop row it netted 1,329 against 1,381 with no learning, BENCHMARKS.md). The
/// learning loss cannot tell: it improves on the host's windows while the alerts get worse,
/// since most overload windows are inside episodes that the SLO rule already reports. The
/// alerts themselves, scored on the host's own record, can.
public struct WeightsReferee: Sendable {
    public enum Choice: String, Sendable, Equatable {
        case trained
        case learned
    }

    /// A change of the serving weights, with the record that decided it.
    public struct Verdict: Sendable, Equatable {
        public var serving: Choice
        public var trained: EpisodeScore
        public var learned: EpisodeScore
    }

    public struct Policy: Sendable, Equatable {
        /// Ticks of record scored (3 days of 10 s ticks).
        public var recordTicks = 25_920
        /// Ticks between verdicts (an hour of 10 s ticks).
        public var checkEvery = 360
        /// Warned episodes − false alarms by which the learned weights must lead to serve.
        public var margin = 2
        public init() {}
    }

    public let policy: Policy
    public private(set) var serving: Choice
    private let horizon: Int
    private let mergeGap: Int
    private var trainedAlerts: AlertStateMachine<TraceClock>
    private var learnedAlerts: AlertStateMachine<TraceClock>
    var record: RecordRing
    var ticksSinceCheck = 0
    /// Ticks observed since this referee was made (the daemon saves the record every
    /// `checkEvery` of them).
    public private(set) var observed = 0

    /// `alert`: the pipeline's policy, so both score as the served weights would alert.
    public init(alert: AlertPolicy, horizon: Int, policy: Policy = Policy(), serving: Choice = .trained) {
        precondition(policy.recordTicks > 0 && policy.checkEvery > 0 && policy.margin >= 0)
        self.policy = policy
        self.serving = serving
        self.horizon = horizon
        mergeGap = alert.resolveAfter
        trainedAlerts = AlertStateMachine(policy: alert, clock: TraceClock(), makeID: { "" })
        learnedAlerts = AlertStateMachine(policy: alert, clock: TraceClock(), makeID: { "" })
        record = RecordRing(capacity: policy.recordTicks)
    }

    /// One tick: each weights' p, the rule's label and whether `[alert] hold` holds. Returns
    /// a verdict when the serving weights change.
    public mutating func observe(timestamp: Double, trained: Double?, learned: Double?, label: Bool?, holding: Bool,
                                 saleStart: Double? = nil, saleLevel: Bool = false, rulePending: Bool = false) -> Verdict? {
        _ = trainedAlerts.observe(AlertObservation(probability: trained, ruleHolds: label, holding: holding, saleStart: saleStart,
                                                   saleLevel: saleLevel, rulePending: rulePending))
        _ = learnedAlerts.observe(AlertObservation(probability: learned, ruleHolds: label, holding: holding, saleStart: saleStart,
                                                   saleLevel: saleLevel, rulePending: rulePending))
        record.append(timestamp: timestamp, label: label, trained: trainedAlerts.open != nil, learned: learnedAlerts.open != nil)
        observed += 1
        ticksSinceCheck += 1
        guard ticksSinceCheck >= policy.checkEvery else { return nil }
        ticksSinceCheck = 0
        let (trainedScore, learnedScore) = scores()
        let trainedNet = trainedScore.warned - trainedScore.falseAlarms
        let learnedNet = learnedScore.warned - learnedScore.falseAlarms
        let choice: Choice
        switch serving {
        case .trained: choice = learnedNet >= trainedNet + policy.margin && learnedNet > trainedNet ? .learned : .trained
        case .learned: choice = trainedNet > learnedNet ? .trained : .learned
        }
        guard choice != serving else { return nil }
        serving = choice
        return Verdict(serving: choice, trained: trainedScore, learned: learnedScore)
    }

    /// Both weights' figures on a record, in words, for the log and `alerts --record`: "over
    /// the last 3.0 days (25920 ticks) the learned weights warned of 41 of 44 overloads with 2
    /// false alarms, the trained ones warned of ...".
    public static func describe(trained: EpisodeScore, learned: EpisodeScore, ticks: Int? = nil) -> String {
        func figures(_ score: EpisodeScore) -> String {
            "warned of \(score.warned) of \(NumberText.counted(score.episodes, "overload")) "
                + "with \(NumberText.counted(score.falseAlarms, "false alarm"))"
        }
        // Under a day, as a duration in whole minutes: "0.0 days" said nothing of a first hour's record.
        let length = NumberText.span(seconds: trained.days >= 1 ? trained.days * 86400 : (trained.days * 1440).rounded() * 60)
        let span = ticks.map { "over the last \(length) (\($0) ticks)" } ?? "over the last \(length)"
        return "\(span) the learned weights \(figures(learned)), the trained ones \(figures(trained))"
    }

    /// Opens each shadow alert that the record's last tick shows open, as the served alert is
    /// carried across a restart or reload: a shadow restarting closed would show an alert
    /// closing and firing again where the served one stayed open. (Their ids, times and peaks
    /// are never read: only whether they are open goes into the record.)
    mutating func reopenShadowAlerts() {
        func reopened(_ isOpen: Bool, like machine: AlertStateMachine<TraceClock>, at last: RecordRing.Tick) -> AlertStateMachine<TraceClock> {
            let open = isOpen ? AlertStateMachine<TraceClock>.OpenAlert(
                id: "", kind: last.label == true ? .breached : .predicted, firedAt: last.timestamp, peakProbability: 0) : nil
            return AlertStateMachine(policy: machine.policy, clock: TraceClock(), restoring: open, makeID: { "" })
        }
        guard let last = record.latest else { return }
        trainedAlerts = reopened(last.trained, like: trainedAlerts, at: last)
        learnedAlerts = reopened(last.learned, like: learnedAlerts, at: last)
    }

    /// Whether each shadow alert is open now.
    var shadowAlertsOpen: (trained: Bool, learned: Bool) { (trainedAlerts.open != nil, learnedAlerts.open != nil) }

    /// Both weights' alerts scored on the record held now.
    public func scores() -> (trained: EpisodeScore, learned: EpisodeScore) {
        let (timestamps, labels, trained, learned) = record.ordered()
        return (EpisodeScore.score(timestamps: timestamps, labels: labels, alerting: trained, horizon: horizon, mergeGap: mergeGap),
                EpisodeScore.score(timestamps: timestamps, labels: labels, alerting: learned, horizon: horizon, mergeGap: mergeGap))
    }
}

/// The last `capacity` ticks of the referee's record, oldest overwritten first.
struct RecordRing: Sendable {
    let capacity: Int
    private var timestamps: [Double] = []
    private var labels: [Bool?] = []
    private var trained: [Bool] = []
    private var learned: [Bool] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { timestamps.count }

    struct Tick {
        var timestamp: Double
        var label: Bool?
        var trained: Bool
        var learned: Bool
    }

    /// The newest tick, if any.
    var latest: Tick? {
        guard !timestamps.isEmpty else { return nil }
        let index = (next + count - 1) % count
        return Tick(timestamp: timestamps[index], label: labels[index], trained: trained[index], learned: learned[index])
    }

    mutating func append(timestamp: Double, label: Bool?, trained isTrainedOpen: Bool, learned isLearnedOpen: Bool) {
        if timestamps.count < capacity {
            timestamps.append(timestamp)
            labels.append(label)
            trained.append(isTrainedOpen)
            learned.append(isLearnedOpen)
            return
        }
        timestamps[next] = timestamp
        labels[next] = label
        trained[next] = isTrainedOpen
        learned[next] = isLearnedOpen
        next = (next + 1) % capacity
    }

    /// Each tick of the record, oldest first.
    func forEachOrdered(_ body: (_ timestamp: Double, _ label: Bool?, _ trained: Bool, _ learned: Bool) -> Void) {
        for index in next..<count { body(timestamps[index], labels[index], trained[index], learned[index]) }
        for index in 0..<next { body(timestamps[index], labels[index], trained[index], learned[index]) }
    }

    /// The record oldest first.
    func ordered() -> ([Double], [Bool?], [Bool], [Bool]) {
        func rotated<T>(_ values: [T]) -> [T] { Array(values[next...] + values[..<next]) }
        return (rotated(timestamps), rotated(labels), rotated(trained), rotated(learned))
    }
}
