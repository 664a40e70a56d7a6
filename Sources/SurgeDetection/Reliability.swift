/// How often the model's predictions came true on a host: for each band of p(overload), the
/// ticks before a breach (the rule not holding yet) whose target is known, and how many of
/// them were followed by overload within the horizon (the target the model is trained on).
/// Ticks inside an episode are left out: there overload going on is no prediction. The model's
/// p is not calibrated (it is trained on balanced classes), so this table is how an operator
/// reads p on this host, and where to set `alert.fire_probability`.
public struct Reliability: Sendable, Equatable {
    /// Band edges: [0, 0.1), [0.1, 0.5), [0.5, 0.8), [0.8, 0.95), [0.95, 1].
    public static let edges: [Double] = [0, 0.1, 0.5, 0.8, 0.95, 1]
    public private(set) var ticks = [Int](repeating: 0, count: edges.count - 1)
    public private(set) var cameTrue = [Int](repeating: 0, count: edges.count - 1)

    public init() {}

    static func band(of p: Double) -> Int {
        edges.dropFirst().firstIndex { p < $0 }.map { $0 - 1 } ?? edges.count - 2
    }

    /// One uninterrupted run of ticks. A tick counts when the rule was judged not to hold at it
    /// (any tick with horizon 0, whose target is the tick itself) and its target is known:
    /// some tick of the next `horizon` held overload, or all were judged normal.
    public mutating func add(probabilities: [Double?], labels: [Bool?], horizon: Int) {
        precondition(probabilities.count == labels.count)
        for index in probabilities.indices {
            let ahead = horizon == 0 ? index...index : index + 1...index + horizon
            guard ahead.upperBound < labels.count else { break }
            count(probabilities[index], label: labels[index], horizon: horizon, ahead: labels[ahead])
        }
    }

    /// One tick whose next `horizon` labels are `ahead` (with horizon 0, its own): counted when
    /// the rule did not hold at it and its target is known. RunningReliability counts with it too.
    mutating func count(_ probability: Double?, label: Bool?, horizon: Int, ahead: some Collection<Bool?>) {
        guard let p = probability, p.isFinite, horizon == 0 || label == false else { return }
        if ahead.contains(true) {
            count(p, cameTrue: true)
        } else if !ahead.contains(nil) {
            count(p, cameTrue: false)
        }
    }

    /// One tick with a known target.
    mutating func count(_ p: Double, cameTrue target: Bool) {
        let band = Self.band(of: p)
        ticks[band] += 1
        if target { cameTrue[band] += 1 }
    }

    public mutating func add(_ other: Reliability) {
        for band in ticks.indices {
            ticks[band] += other.ticks[band]
            cameTrue[band] += other.cameTrue[band]
        }
    }

    /// The table in words, one band a line, under a heading that names the horizon.
    public func lines(horizon: String) -> [String] {
        var lines = ["how p(overload) came true (ticks before a breach, and the share followed by overload within \(horizon)):"]
        for band in ticks.indices {
            let range = "p \(AlertMessage.fixed(Self.edges[band], 2))-\(AlertMessage.fixed(Self.edges[band + 1], 2))"
            let share = ticks[band] > 0 ? AlertMessage.fixed(100 * Double(cameTrue[band]) / Double(ticks[band]), 1) + " %" : "-"
            lines.append("  " + range.padded(to: 14) + "\(ticks[band])".padded(to: 9, left: true) + (ticks[band] == 1 ? " tick    " : " ticks   ") + share.padded(to: 7, left: true))
        }
        return lines
    }

    /// The table as a JSON array, one object a band.
    public var json: String {
        "[" + ticks.indices.map { band in
            "{\"from\":\(JSONText.number(Self.edges[band])),\"to\":\(JSONText.number(Self.edges[band + 1])),"
                + "\"ticks\":\(ticks[band]),\"overload_within_horizon\":\(cameTrue[band])}"
        }.joined(separator: ",") + "]"
    }
}
