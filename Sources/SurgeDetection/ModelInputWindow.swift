/// The model's view of the last T ticks: scaled feature rows in a ring, read oldest first.
///
/// Missing values (a failed source, a series absent from a scrape, a gap in a trace):
/// - a feature's last value is carried forward for up to `carryTicks` ticks, because a scrape
///   that times out once says nothing about the load;
/// - after that, or if the feature was never seen, it is imputed as the training mean (0 once
///   standardised) and the row is marked imputed;
/// - a window holding an imputed row is still predicted on (the prediction is marked degraded),
///   but never learned from: its label would teach the model on inputs that were invented.
public struct ModelInputWindow: Sendable {
    public let featureCount: Int
    public let capacity: Int
    public let carryTicks: Int
    private var rows: [Float]
    private var imputed: [Bool]
    private var head = 0
    public private(set) var count = 0
    /// Imputed rows among those held.
    public private(set) var imputedRows = 0
    private var lastValue: [Float]
    /// Ticks since each feature was last seen (Int.max: never).
    private var age: [Int]
    /// The host's level of each relative feature (nil: the scaler reads none), taken on from
    /// `init(levels:)` or made at the first push; it goes on over gaps and new runs, as the
    /// host's usual level does.
    public private(set) var levels: HostLevels?
    private var levelsKnown: Bool

    /// Ticks a feature's last value is carried over a gap unless said otherwise.
    public static let defaultCarryTicks = 3

    /// `levels`: the host levels to go on from (a window that replaces another over the same
    /// host's ticks, a stretch of a trace read ahead); nil makes fresh ones at the first push.
    public init(featureCount: Int, capacity: Int, carryTicks: Int = defaultCarryTicks, levels: HostLevels? = nil) {
        precondition(featureCount > 0 && capacity > 0 && carryTicks >= 0)
        self.featureCount = featureCount
        self.capacity = capacity
        self.carryTicks = carryTicks
        rows = [Float](repeating: 0, count: featureCount * capacity)
        imputed = [Bool](repeating: false, count: capacity)
        lastValue = [Float](repeating: 0, count: featureCount)
        age = [Int](repeating: .max, count: featureCount)
        self.levels = levels
        levelsKnown = levels != nil
    }

    public enum RowFill: Sendable, Equatable {
        case complete
        /// `features` values were carried forward from earlier ticks.
        case carried(features: Int)
        /// `features` values were unknown for too long and set to the training mean.
        case imputed(features: Int)
    }

    public var isFull: Bool { count == capacity }

    /// Appends the tick whose raw feature values are `raw` (NaN = missing), scaled by `scaler`.
    @discardableResult
    public mutating func push(raw: [Double], scaler: FeatureScaler) -> RowFill {
        precondition(raw.count == featureCount, "one raw value per feature")
        if count == capacity, imputed[head] { imputedRows -= 1 }
        if !levelsKnown {
            levels = scaler.readsLevels ? HostLevels(scaler) : nil
            levelsKnown = true
        }
        var carried = 0, invented = 0
        let base = head * featureCount
        for feature in 0..<featureCount {
            let value = raw[feature]
            if value.isFinite {
                let z = scaler.scale(value, feature: feature, centre: levels?.centre(feature, for: value) ?? 0)
                lastValue[feature] = z
                age[feature] = 0
                rows[base + feature] = z
            } else {
                if age[feature] < Int.max { age[feature] += 1 }
                if age[feature] <= carryTicks {
                    rows[base + feature] = lastValue[feature]
                    carried += 1
                } else {
                    rows[base + feature] = 0
                    invented += 1
                }
            }
        }
        levels?.observe(raw)
        imputed[head] = invented > 0
        if invented > 0 { imputedRows += 1 }
        head = (head + 1) % capacity
        count = min(count + 1, capacity)
        if invented > 0 { return .imputed(features: invented) }
        return carried > 0 ? .carried(features: carried) : .complete
    }

    /// Writes the held rows oldest first, [count × featureCount], into `destination`.
    public func copyOrdered(into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(destination.count >= count * featureCount)
        let F = featureCount
        rows.withUnsafeBufferPointer { source in
            for age in 0..<count {
                let slot = (head - count + age + capacity) % capacity
                (destination.baseAddress! + age * F).update(from: source.baseAddress! + slot * F, count: F)
            }
        }
    }

    /// The held rows oldest first (off the hot path).
    public var ordered: [Float] {
        [Float](unsafeUninitializedCapacity: count * featureCount) { buffer, initialized in
            copyOrdered(into: buffer)
            initialized = count * featureCount
        }
    }
}
