/// `Reliability` kept up tick by tick: each tick's target is known `horizon` ticks later, so it
/// holds only the last horizon + 1 ticks. The daemon keeps one from its stored history and
/// its own ticks, so that a predicted alert can say how often such a p came true on this host
/// (`outcome(of:)`). Counts the same ticks as `Reliability.add` over the same run (tested).
public struct RunningReliability: Sendable, Equatable {
    public let horizon: Int
    public private(set) var table: Reliability
    private var recent: [(p: Double?, label: Bool?)] = []

    /// A band needs this many ticks with a known outcome before an alert quotes it.
    public static let minimumTicks = 20

    public init(horizon: Int, table: Reliability = Reliability()) {
        self.horizon = horizon
        self.table = table
        recent.reserveCapacity(horizon + 2)
    }

    /// The next tick of the run: p (nil when the model gave none) and the rule's verdict.
    public mutating func add(probability: Double?, label: Bool?) {
        recent.append((probability, label))
        if recent.count > horizon + 1 { recent.removeFirst() }
        guard recent.count == horizon + 1 else { return }
        // The oldest tick held now has its whole target in view (with horizon 0, itself).
        table.count(recent[0].p, label: recent[0].label, horizon: horizon,
                    ahead: recent[(horizon == 0 ? 0 : 1)...].lazy.map(\.label))
    }

    /// The daemon restarted or stalled: no target reaches across.
    public mutating func breakRun() { recent.removeAll(keepingCapacity: true) }

    /// How ticks with p in the same band as `p` came out here, once the band has enough of them.
    public func outcome(of p: Double) -> AlertEvent.PastOutcome? {
        guard p.isFinite else { return nil }
        let band = Reliability.band(of: p)
        guard table.ticks[band] >= Self.minimumTicks else { return nil }
        return AlertEvent.PastOutcome(from: Reliability.edges[band], to: Reliability.edges[band + 1],
                                      ticks: table.ticks[band], cameTrue: table.cameTrue[band])
    }

    public static func == (a: RunningReliability, b: RunningReliability) -> Bool {
        a.horizon == b.horizon && a.table == b.table && a.recent.count == b.recent.count
            && zip(a.recent, b.recent).allSatisfy { $0.p == $1.p && $0.label == $1.label }
    }
}
