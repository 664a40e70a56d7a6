#if canImport(Glibc)
import Glibc
#endif

/// Each relative feature's usual level on this host (`Transform.log1pRelative`): the running
/// centre of log1p(x), which the model's input subtracts so that a count reads the same on a
/// host of any size (BENCHMARKS.md, "A host of another size").
///
/// The centre is the mean of every value seen while that weighs each value more than an
/// exponential mean with a half-life of `halfLifeTicks` would (for 1.44 half-lives), then that
/// exponential mean: a new host has a usual level within its first hours, and it follows the
/// host's growth over days without following a sale's hours. A value is
/// read against the centre of the ticks *before* it, and the first value ever against itself.
/// Missing values leave the centre as it was. Features of other transforms have none.
public struct HostLevels: Sendable, Equatable {
    /// A day of ticks at the default 10 s interval.
    public static let halfLifeTicks = 8_640
    private let relative: [Bool]
    private var centres: [Double]
    private var seen: [Int]
    private let keep: Double

    public init(_ scaler: FeatureScaler) {
        relative = scaler.features.map { $0.transform == .log1pRelative }
        centres = [Double](repeating: 0, count: relative.count)
        seen = [Int](repeating: 0, count: relative.count)
        keep = exp(-log(2) / Double(Self.halfLifeTicks))
    }

    /// Whether these levels were kept for `scaler`'s features (the same ones read against a
    /// level, in the same order); levels of another model are not taken on.
    public func fits(_ scaler: FeatureScaler) -> Bool {
        relative == scaler.features.map { $0.transform == .log1pRelative }
    }

    /// What `FeatureScaler.scale` subtracts from feature `index`'s log1p for `value` now: the
    /// centre so far, or the value's own log1p while none has been seen (0 for other features).
    @inline(__always)
    public func centre(_ index: Int, for value: Double) -> Double {
        guard relative[index] else { return 0 }
        return seen[index] > 0 ? centres[index] : log1p(max(0, value))
    }

    /// Takes a tick's raw feature values (NaN: missing) into the centres, after they were read.
    public mutating func observe(_ raw: [Double]) {
        for index in relative.indices where relative[index] && raw[index].isFinite {
            let y = log1p(max(0, raw[index]))
            seen[index] += 1
            let weight = max(1 / Double(seen[index]), 1 - keep)
            centres[index] = seen[index] == 1 ? y : centres[index] + weight * (y - centres[index])
        }
    }
}
