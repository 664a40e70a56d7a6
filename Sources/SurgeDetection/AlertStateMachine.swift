import SurgeConfig

/// When alerts fire, escalate and resolve (config `[alert]`).
public struct AlertPolicy: Sendable, Equatable {
    /// p(overload) at or above which a predicted alert may fire.
    public var fireProbability: Double
    /// p(overload) below which an open alert may resolve (below fireProbability: hysteresis).
    public var resolveProbability: Double
    /// Ticks in a row with p ≥ fireProbability before a predicted alert fires.
    public var fireAfter: Int
    /// p(overload) at or above which a predicted alert fires at once; 1 (or more): never.
    /// `fireAfter` keeps moderate probabilities from flapping alerts, but with a 3-tick
    /// horizon a near-certain prediction that waits a tick has spent a third of its warning:
    /// a flash sale's surge often shows one tick before the breach, not two.
    public var fireAtOnceProbability: Double
    /// p(overload) at or above which a predicted alert fires at once when the tick before had
    /// p below resolveProbability; 1 (or more): never. A flash sale's first surge tick makes p
    /// leap from calm, where a crowd that grows makes it climb through the band.
    public var fireOnLeapProbability: Double
    /// Ticks in a row that are calm (p < resolveProbability and the rule not holding) before an
    /// open alert resolves.
    public var resolveAfter: Int
    /// p(overload) below which an open alert also resolves after `settleAfter` ticks in a row
    /// (otherwise calm as for `resolveAfter`); 0: never (`[alert] settle_probability`).
    public var settleProbability: Double
    /// Ticks in a row below settleProbability before an open alert settles.
    public var settleAfter: Int
    /// How far ahead the model looks, for the events (`SURGE_HORIZON_SECONDS`).
    public var horizonSeconds: Double
    /// p(overload) at or above which a predicted alert fires at once on a tick in an announced
    /// sale's window (`[schedule]`, `AlertObservation.saleStart`); 1 (or more): never.
    public var saleFireProbability: Double
    /// p(overload) at or above which a predicted alert fires on a tick where the SLO rule is
    /// one tick from holding (`AlertObservation.rulePending`); 1 (or more): never.
    public var firePendingProbability: Double

    public init(fireProbability: Double = 0.8, resolveProbability: Double = 0.5, fireAfter: Int = 2,
                resolveAfter: Int = 3, horizonSeconds: Double = 30, fireAtOnceProbability: Double? = nil,
                fireOnLeapProbability: Double = 1, saleFireProbability: Double = 1, firePendingProbability: Double = 1,
                settleProbability: Double = 0, settleAfter: Int = 60) {
        // Left out, it follows the config's default and never sits below fireProbability.
        let fireAtOnceProbability = fireAtOnceProbability ?? max(SurgeConfig().alert.fireAtOnceProbability, fireProbability)
        precondition(resolveProbability < fireProbability && fireAfter >= 1 && resolveAfter >= 1)
        precondition(fireAtOnceProbability >= fireProbability)
        precondition(fireOnLeapProbability >= 1 || fireOnLeapProbability > resolveProbability)
        precondition(saleFireProbability >= 1 || saleFireProbability > resolveProbability)
        precondition(settleAfter >= 1)
        self.fireProbability = fireProbability
        self.resolveProbability = resolveProbability
        self.fireAfter = fireAfter
        self.fireAtOnceProbability = fireAtOnceProbability
        self.fireOnLeapProbability = fireOnLeapProbability
        self.resolveAfter = resolveAfter
        self.horizonSeconds = horizonSeconds
        self.saleFireProbability = saleFireProbability
        self.firePendingProbability = firePendingProbability
        self.settleProbability = settleProbability
        self.settleAfter = settleAfter
    }

    /// The policy of a config's `[alert]` table, and of its `[schedule]` where sales are announced.
    public init(_ alert: SurgeConfig.Alert, schedule: SurgeConfig.Schedule = .init(), horizonSeconds: Double = 30) {
        self.init(fireProbability: alert.fireProbability, resolveProbability: alert.resolveProbability, fireAfter: alert.fireAfter,
                  resolveAfter: alert.resolveAfter, horizonSeconds: horizonSeconds, fireAtOnceProbability: alert.fireAtOnceProbability,
                  fireOnLeapProbability: alert.fireOnLeapProbability,
                  saleFireProbability: schedule.sales.isEmpty ? 1 : schedule.fireProbability,
                  firePendingProbability: alert.firePendingProbability,
                  settleProbability: alert.settleProbability, settleAfter: alert.settleAfter)
    }
}

/// A clock whose instants can be told as Unix seconds, for the timestamps of alert events.
/// The daemon, replay and tests use `TraceClock`, set to each tick's or row's time.
public protocol AlertClock: Clock {
    func unixSeconds(_ instant: Instant) -> Double
}

/// What one tick tells the state machine.
public struct AlertObservation: Sendable, Equatable {
    /// p(overload within the horizon); nil when the model could not predict (window not full,
    /// features missing).
    public var probability: Double?
    /// The SLO rule's verdict this tick (held for `for_ticks`); nil when a metric it needs is missing.
    public var ruleHolds: Bool?
    /// Why, for the events: the features that moved most, with baseline and recent values.
    public var topFeatures: [AlertEvent.FeatureChange]
    /// A condition of `[alert] hold` holds this tick: an open alert is not calm.
    public var holding: Bool
    /// The start (Unix seconds) of the announced sale whose window holds this tick
    /// (`AnnouncedStarts.saleStart(at:interval:)`); nil outside every window.
    public var saleStart: Double?
    /// A condition of `[schedule] fire_when` holds on this tick, the last before a sale's start
    /// (`SurgeConfig.Schedule.asksLevel`): a predicted alert fires at once, and an open alert is
    /// not calm. Set outside every window, it is ignored.
    public var saleLevel: Bool
    /// The SLO rule's condition has held `for_ticks` − 1 ticks in a row
    /// (`OverloadRule.isPending`): the next tick breaches if it holds once more.
    public var rulePending: Bool

    public init(probability: Double?, ruleHolds: Bool?, topFeatures: [AlertEvent.FeatureChange] = [], holding: Bool = false,
                saleStart: Double? = nil, saleLevel: Bool = false, rulePending: Bool = false) {
        self.probability = probability
        self.ruleHolds = ruleHolds
        self.topFeatures = topFeatures
        self.holding = holding
        self.saleStart = saleStart
        self.saleLevel = saleLevel && saleStart != nil
        self.rulePending = rulePending
    }
}

/// The overload alert's life, with no I/O: feed it one observation per tick, deliver the events
/// it returns (journald, SQLite). At most one alert is open at a time; it is either `predicted`
/// (a warning: the model expects overload within the horizon) or `breached` (the SLO rule holds).
///
/// - predicted fires after `fireAfter` ticks in a row with p ≥ fireProbability, or at once
///   when p ≥ fireAtOnceProbability (below 1), or when p ≥ fireOnLeapProbability (below 1)
///   right after a tick with p below resolveProbability, or at once when p ≥ saleFireProbability
///   (below 1) on a tick in an announced sale's window, or when p ≥ firePendingProbability
///   (below 1) on a tick where the rule is one tick from holding;
/// - breached fires the first tick the rule holds; an open predicted alert *escalates* instead:
///   the same alert id, a `fired` event of kind breached with `escalatedFrom = predicted`;
/// - an open alert resolves after `resolveAfter` calm ticks in a row, calm meaning p below
///   resolveProbability (or unknown) and the rule not holding (or unknown), not both unknown,
///   and no condition of `[alert] hold` holding (`AlertObservation.holding`).
///   Between the two thresholds nothing changes: that band is what stops flapping;
/// - it also resolves (settles) after `settleAfter` ticks in a row that are calm the same way
///   but measured against settleProbability, when that is set: a long alert whose p hovers in
///   the band after the hot spell has passed.
public struct AlertStateMachine<C: AlertClock>: Sendable where C: Sendable {
    /// The alert that is open now.
    public struct OpenAlert: Sendable, Equatable {
        public var id: String
        public var kind: AlertEvent.Kind
        public var firedAt: Double
        public var peakProbability: Double

        public init(id: String, kind: AlertEvent.Kind, firedAt: Double, peakProbability: Double) {
            self.id = id
            self.kind = kind
            self.firedAt = firedAt
            self.peakProbability = peakProbability
        }
    }

    public let policy: AlertPolicy
    public let clock: C
    public private(set) var open: OpenAlert?
    private var highStreak = 0
    private var calmStreak = 0
    /// Calm ticks in a row against settleProbability (counted only when it is set).
    private var settleStreak = 0
    /// The last tick's p (nil: unknown, or no tick yet): a leap starts only from a known calm p.
    private var previousProbability: Double?
    private let makeID: @Sendable () -> String

    /// `restoring` continues an alert that was open when the daemon stopped (read back from
    /// SQLite), so a restart in the middle of an episode does not fire it a second time.
    public init(policy: AlertPolicy, clock: C, restoring open: OpenAlert? = nil,
                makeID: @escaping @Sendable () -> String = AlertEvent.newID) {
        self.policy = policy
        self.clock = clock
        self.open = open
        self.makeID = makeID
    }

    /// One tick. Returns the events to deliver, in order (none on most ticks).
    public mutating func observe(_ observation: AlertObservation) -> [AlertEvent] {
        let now = clock.unixSeconds(clock.now)
        let p = observation.probability
        defer { previousProbability = p }
        if let p, var alert = open {
            alert.peakProbability = max(alert.peakProbability, p)
            open = alert
        }
        highStreak = (p ?? 0) >= policy.fireProbability ? highStreak + 1 : 0
        let known = p != nil || observation.ruleHolds != nil
        let quiet = known && observation.ruleHolds != true && !observation.holding && !observation.saleLevel
        calmStreak = quiet && (p.map { $0 < policy.resolveProbability } ?? true) ? calmStreak + 1 : 0
        settleStreak = policy.settleProbability > 0 && quiet && (p.map { $0 < policy.settleProbability } ?? true) ? settleStreak + 1 : 0

        if observation.ruleHolds == true {
            switch open?.kind {
            case nil:
                return [fire(.breached, at: now, p: p, observation, escalatedFrom: nil)]
            case .predicted?:
                return [fire(.breached, at: now, p: p, observation, escalatedFrom: .predicted)]
            case .breached?:
                return []
            }
        }
        let certain = policy.fireAtOnceProbability < 1 && (p ?? 0) >= policy.fireAtOnceProbability
        let leapt = policy.fireOnLeapProbability < 1 && (p ?? 0) >= policy.fireOnLeapProbability
            && (previousProbability.map { $0 < policy.resolveProbability } ?? false)
        let announced = observation.saleLevel
            || policy.saleFireProbability < 1 && observation.saleStart != nil && (p ?? 0) >= policy.saleFireProbability
        let pending = policy.firePendingProbability < 1 && observation.rulePending && (p ?? 0) >= policy.firePendingProbability
        if open == nil, highStreak >= policy.fireAfter || certain || leapt || announced || pending {
            var event = fire(.predicted, at: now, p: p, observation, escalatedFrom: nil)
            event.saleStart = observation.saleStart
            return [event]
        }
        if let alert = open, calmStreak >= policy.resolveAfter || settleStreak >= policy.settleAfter {
            open = nil
            highStreak = 0
            return [AlertEvent(alertID: alert.id, event: .resolved, kind: alert.kind, at: now, probability: p,
                               peakProbability: alert.peakProbability, horizonSeconds: policy.horizonSeconds,
                               topFeatures: observation.topFeatures, firedAt: alert.firedAt)]
        }
        return []
    }

    private mutating func fire(_ kind: AlertEvent.Kind, at now: Double, p: Double?, _ observation: AlertObservation,
                               escalatedFrom: AlertEvent.Kind?) -> AlertEvent {
        let id = escalatedFrom == nil ? makeID() : open!.id
        let firedAt = escalatedFrom == nil ? now : open!.firedAt
        let peak = max(open?.peakProbability ?? 0, p ?? 0)
        open = OpenAlert(id: id, kind: kind, firedAt: firedAt, peakProbability: peak)
        calmStreak = 0
        settleStreak = 0
        return AlertEvent(alertID: id, event: .fired, kind: kind, at: now, probability: p, peakProbability: peak,
                          horizonSeconds: policy.horizonSeconds, topFeatures: observation.topFeatures,
                          escalatedFrom: escalatedFrom, firedAt: escalatedFrom == nil ? nil : firedAt)
    }
}
