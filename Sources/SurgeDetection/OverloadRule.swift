import SurgeConfig
import SurgeSampling

/// The SLO rule of `[overload]` as a per-tick verdict: the ground truth for labels and for
/// breached alerts. `any` clauses or'ed, `all` clauses and'ed, the two groups or'ed; it must
/// hold `for_ticks` ticks in a row (like Prometheus' `for:`) before a tick counts as overload.
///
/// Three-valued, because a metric can be missing: a group whose outcome depends on a missing
/// metric is unknown, and an unknown tick breaks a streak and has no label (it is neither
/// learned from nor counted in evaluation).
public struct OverloadRule: Sendable {
    public let any: [OverloadCondition]
    public let all: [OverloadCondition]
    public let forTicks: Int
    private let anyColumns: [Int?]
    private let allColumns: [Int?]
    private var streak = 0

    public init(_ overload: SurgeConfig.Overload, schema: MetricSchema) {
        any = overload.any
        all = overload.all
        forTicks = overload.forTicks
        anyColumns = overload.any.map { schema.index(of: $0.metric) }
        allColumns = overload.all.map { schema.index(of: $0.metric) }
    }

    /// The rule on this sample alone, ignoring `for_ticks` (nil: unknown).
    public func holdsNow(_ sample: Sample) -> Bool? {
        let anyVerdict = Self.disjunction(any, anyColumns, sample)
        let allVerdict = Self.conjunction(all, allColumns, sample)
        if anyVerdict == true || allVerdict == true { return true }
        if anyVerdict == nil || allVerdict == nil { return nil }
        return false
    }

    /// This tick's label: true once the rule has held `for_ticks` ticks in a row.
    public mutating func label(_ sample: Sample) -> Bool? {
        guard let now = holdsNow(sample) else {
            streak = 0
            return nil
        }
        streak = now ? streak + 1 : 0
        return streak >= forTicks
    }

    /// After `label(_:)`: how many ticks in a row the condition has held, this one included.
    public var run: Int { streak }

    /// After `label(_:)`: the condition has held `for_ticks` − 1 ticks in a row, so the tick
    /// after this one is overload if it holds once more. Never with `for_ticks` = 1, which
    /// has no tick of warning to give.
    public var isPending: Bool {
        forTicks >= 2 && streak == forTicks - 1
    }

    /// "cpu_busy > 0.6 held 2 of 3 ticks", for a predicted alert fired on a pending rule; the
    /// `all` group in parentheses beside `any` conditions.
    public var pendingDescription: String {
        Self.pendingDescription(of: SurgeConfig.Overload(any: any, all: all, forTicks: forTicks))
    }

    /// The same from the config's `[overload]` alone (`surgewatch test-alert`).
    public static func pendingDescription(of overload: SurgeConfig.Overload) -> String {
        let conjunction = overload.all.map(\.description).joined(separator: " and ")
        let group = overload.all.isEmpty ? [] : [overload.any.isEmpty || overload.all.count == 1 ? conjunction : "(\(conjunction))"]
        return (overload.any.map(\.description) + group).joined(separator: " or ")
            + " held \(overload.forTicks - 1) of \(overload.forTicks) ticks"
    }

    private static func verdict(_ condition: OverloadCondition, _ column: Int?, _ sample: Sample) -> Bool? {
        guard let column else { return nil }
        let value = sample.values[column]
        return value.isNaN ? nil : condition.comparison.holds(value, condition.threshold)
    }

    /// Empty `any`: false (nothing to hold).
    private static func disjunction(_ conditions: [OverloadCondition], _ columns: [Int?], _ sample: Sample) -> Bool? {
        var unknown = false
        for (condition, column) in zip(conditions, columns) {
            switch verdict(condition, column, sample) {
            case true?: return true
            case nil: unknown = true
            case false?: break
            }
        }
        return unknown ? nil : false
    }

    /// Empty `all`: false (an empty group does not declare overload).
    private static func conjunction(_ conditions: [OverloadCondition], _ columns: [Int?], _ sample: Sample) -> Bool? {
        guard !conditions.isEmpty else { return false }
        var unknown = false
        for (condition, column) in zip(conditions, columns) {
            switch verdict(condition, column, sample) {
            case false?: return false
            case nil: unknown = true
            case true?: break
            }
        }
        return unknown ? nil : true
    }
}
