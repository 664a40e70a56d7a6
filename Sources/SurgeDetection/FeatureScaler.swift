#if canImport(Glibc)
import Glibc
#endif
import SurgeModel
import SurgeConfig

/// Turns raw metric values into the model's inputs, with statistics stored in the model file so
/// training, replay and the daemon scale alike.
///
/// Bounded figures (ratios 0..1, PSI percentages, probe_up) are used as they are; rates, counts,
/// loads and latencies span orders of magnitude (a flash sale multiplies them) and are taken as
/// log1p(max(0, x)) first. Each transformed value is then standardised with the training data's
/// mean and deviation and clipped to ±`clip`, so one absurd reading cannot swamp the network.
public struct FeatureScaler: Sendable, Equatable {
    public typealias Scaling = ModelFile.FeatureScaling
    public let features: [Scaling]
    /// Standardised values are clipped to ±clip.
    public static let clip: Float = 8

    public init(_ features: [Scaling]) {
        self.features = features
    }

    public var names: [String] { features.map(\.name) }

    /// The transform a metric gets, decided by what its name says it measures (`MetricScale`,
    /// which the rule checks and the alert messages read too): a figure with a fixed range (a
    /// fraction, a percent, up or down) as it is, anything else log-scaled. A model file stores
    /// each feature's transform, so this decides only for models fitted from now on.
    public static func transform(for name: String) -> Scaling.Transform {
        MetricScale(of: name).range != nil ? .identity : .log1p
    }

    /// Fits mean and deviation on `columns[i]` (the raw values of feature i; NaN = missing,
    /// skipped). A feature that never varies, or was never seen, gets deviation 1 so it scales
    /// to a constant instead of dividing by zero. Features named in `relative` (log1p ones) are
    /// read against the host's level (`HostLevels`); their columns hold log1p(x) less that
    /// level already, as `relativeLogs` makes them trace by trace.
    public static func fit(names: [String], columns: [[Double]], relative: Set<String> = []) -> FeatureScaler {
        precondition(names.count == columns.count, "one column per feature")
        return FeatureScaler(zip(names, columns).map { name, values in
            var transform = Self.transform(for: name)
            if relative.contains(name) {
                precondition(transform == .log1p, "only log1p features are read against a level")
                transform = .log1pRelative
            }
            var count = 0.0, sum = 0.0, squares = 0.0
            for value in values where value.isFinite {
                let x = transform == .log1pRelative ? value : Self.apply(transform, value)
                count += 1
                sum += x
                squares += x * x
            }
            let mean = count > 0 ? sum / count : 0
            let variance = count > 1 ? max(0, squares / count - mean * mean) : 0
            let deviation = variance.squareRoot()
            return Scaling(name: name, transform: transform, mean: Float(mean),
                           standardDeviation: deviation > 1e-6 ? Float(deviation) : 1)
        })
    }

    /// Whether a feature is read against the host's level (`HostLevels`).
    public var readsLevels: Bool { features.contains { $0.transform == .log1pRelative } }

    /// A column of one trace (in tick order) as `fit` takes a relative feature's: each value's
    /// log1p less the level of the ticks before it, as `HostLevels` keeps it live.
    public static func relativeLogs(_ values: [Double]) -> [Double] {
        var levels = HostLevels(FeatureScaler([Scaling(name: "x", transform: .log1pRelative, mean: 0, standardDeviation: 1)]))
        return values.map { value in
            guard value.isFinite else { return .nan }
            let relative = log1p(max(0, value)) - levels.centre(0, for: value)
            levels.observe([value])
            return relative
        }
    }

    static func apply(_ transform: Scaling.Transform, _ value: Double) -> Double {
        switch transform {
        case .identity: return value
        case .log1p, .log1pRelative: return log1p(max(0, value))
        }
    }

    /// The model input for raw `value` of feature `index` (finite values only); `centre` is
    /// the host's level of a relative feature (`HostLevels.centre`), 0 for the others.
    @inline(__always)
    public func scale(_ value: Double, feature index: Int, centre: Double = 0) -> Float {
        let scaling = features[index]
        let z = (Float(Self.apply(scaling.transform, value) - centre) - scaling.mean) / scaling.standardDeviation
        return min(Self.clip, max(-Self.clip, z))
    }

    /// Back from model units to the metric's own, for explanations (`centre` as for `scale`).
    public func unscale(_ z: Float, feature index: Int, centre: Double = 0) -> Double {
        let scaling = features[index]
        let x = Double(z * scaling.standardDeviation + scaling.mean)
        switch scaling.transform {
        case .identity: return x
        case .log1p, .log1pRelative: return expm1(x + centre)
        }
    }
}
