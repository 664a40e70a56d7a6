/// One thing that happened to an alert: it fired, escalated from predicted to breached, or
/// resolved. Every sink (journald, SQLite, memory) receives the same value, so they agree.
public struct AlertEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// p(overload within the horizon) crossed the fire threshold: a warning, ahead of time.
        case predicted
        /// The SLO rule holds now.
        case breached
    }

    public enum Event: String, Sendable {
        case fired
        case resolved
    }

    /// How a feature moved: its value at the window's start (baseline) and now.
    public struct FeatureChange: Sendable, Equatable {
        public var name: String
        public var baseline: Double?
        public var recent: Double?

        public init(name: String, baseline: Double?, recent: Double?) {
            self.name = name
            self.baseline = baseline
            self.recent = recent
        }
    }

    /// Same value on the fired and the resolved event of one alert, in journald and SQLite.
    public var alertID: String
    public var event: Event
    public var kind: Kind
    /// Unix seconds.
    public var at: Double
    /// p(overload) at the event; nil when the model gave none that tick (window filling,
    /// features missing, or a fresh model not yet trusted): a breach then alerts on the rule
    /// alone, and saying p = 0 would claim the model expected no overload.
    public var probability: Double?
    public var peakProbability: Double
    public var horizonSeconds: Double
    public var topFeatures: [FeatureChange]
    /// Set on a breached `fired` event that continues a predicted alert (one alert, escalated).
    public var escalatedFrom: Kind?
    /// When the alert fired, on `resolved` events (for the duration in messages).
    public var firedAt: Double?
    /// On a `resolved` event, what an operator should know of how it ended: why it resolved
    /// when not by the model and rule calming down (closed at restart), or how the SLO rule
    /// went while it was open (`ruleApproach.text`): how near it came to breaking, when it
    /// did not, or on how many ticks it broke and how far.
    public var note: String?
    /// Sent by `surgewatch test-alert` to check the alert path; no overload behind it.
    public var isTest = false
    /// On a predicted alert's `fired` event: how ticks with p in the same band came out on this
    /// host so far (RunningReliability), since p is not a calibrated probability.
    public var pastOutcome: PastOutcome?
    /// On a predicted alert's `fired` event on a tick in an announced sale's window
    /// (`[schedule]`): when that sale starts, Unix seconds.
    public var saleStart: Double?
    /// The `[schedule] fire_when` condition that held on the tick before the sale when the alert
    /// fired ("cpu_busy >= 0.3"): why it fired at a low p.
    public var saleLevel: String?
    /// On a predicted alert's `fired` event on a tick where the SLO rule was one tick from
    /// holding (`[alert] fire_on_pending_probability`): the rule and its run, "cpu_busy > 0.6
    /// held 2 of 3 ticks".
    public var rulePending: String?
    /// On a `resolved` event: how the SLO rule went while the alert was open.
    public var ruleApproach: RuleApproach?

    /// Of the ticks before a breach with p in [from, to), how many were followed by overload
    /// within the horizon.
    public struct PastOutcome: Sendable, Equatable {
        public var from: Double
        public var to: Double
        public var ticks: Int
        public var cameTrue: Int
        public var share: Double { ticks > 0 ? Double(cameTrue) / Double(ticks) : 0 }

        public init(from: Double, to: Double, ticks: Int, cameTrue: Int) {
            self.from = from
            self.to = to
            self.ticks = ticks
            self.cameTrue = cameTrue
        }
    }

    /// A fresh random 128-bit id in hex, the form journald uses for ids.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return id(from: &generator)
    }

    /// 128 bits from `generator` as 32 hex digits (replay draws them from a seeded generator).
    public static func id<G: RandomNumberGenerator>(from generator: inout G) -> String {
        [generator.next() as UInt64, generator.next() as UInt64].map {
            let hex = String($0, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    public init(alertID: String, event: Event, kind: Kind, at: Double, probability: Double?,
                peakProbability: Double, horizonSeconds: Double, topFeatures: [FeatureChange] = [],
                escalatedFrom: Kind? = nil, firedAt: Double? = nil, note: String? = nil) {
        self.alertID = alertID
        self.event = event
        self.kind = kind
        self.at = at
        self.probability = probability
        self.peakProbability = peakProbability
        self.horizonSeconds = horizonSeconds
        self.topFeatures = topFeatures
        self.escalatedFrom = escalatedFrom
        self.firedAt = firedAt
        self.note = note
    }
}

/// Where alert events go. An implementation delivers one event or throws; it never retries on
/// its own (the fan-out logs and counts, and the next event is tried as usual).
public protocol AlertSink: Sendable {
    /// For logs and counters: "journald", "sqlite", "memory".
    var name: String { get }
    func deliver(_ event: AlertEvent) throws
}
