import SurgeConfig
import SurgeSampling

/// The step the daemon's online learning and offline training share, so they cannot disagree
/// on which windows are learned and with what target: label the tick by the SLO rule, and
/// hand over each earlier window whose target this label completes. A window is learned from
/// only when full and free of imputed rows.
struct WindowLabeller: Sendable {
    private var rule: OverloadRule
    private var pending: PendingTargets

    init(_ overload: SurgeConfig.Overload, schema: MetricSchema, horizon: Int, windowSize: Int) {
        rule = OverloadRule(overload, schema: schema)
        pending = PendingTargets(horizon: horizon, windowSize: windowSize)
    }

    /// The rule is one tick from holding (`OverloadRule.isPending`), after `advance`.
    var rulePending: Bool { rule.isPending }

    /// Ticks in a row the rule's conditions have held (`OverloadRule.run`), after `advance`.
    var ruleRun: Int { rule.run }

    /// The rule's conditions and run, in words (`OverloadRule.pendingDescription`).
    var pendingDescription: String { rule.pendingDescription }

    /// A tick from before this labeller existed (the window a pipeline takes over): only the
    /// rule's run of ticks goes on, so that `for_ticks` counts across the handover.
    mutating func resume(_ sample: Sample) {
        _ = rule.label(sample)
    }

    /// One tick, after `inputs` took its row. `window` is scratch for the window ending now
    /// (written here when it can be learned from). Without `labelled` (not learning) the tick
    /// is only labelled. Returns the tick's label.
    mutating func advance(_ sample: Sample, inputs: ModelInputWindow, window: inout [Float],
                          labelled: ((UnsafeBufferPointer<Float>, Int) -> Void)?) -> Bool? {
        let label = rule.label(sample)
        guard let labelled else { return label }
        let learnable = inputs.isFull && inputs.imputedRows == 0
        if learnable { window.withUnsafeMutableBufferPointer { inputs.copyOrdered(into: $0) } }
        window.withUnsafeBufferPointer { buffer in
            pending.advance(label: label, window: learnable ? buffer : nil, labelled: labelled)
        }
        return label
    }
}
