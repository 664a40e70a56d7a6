import SurgeConfig
import SurgeSampling

/// Online learning's memory, given back at a start or reload from the ticks the host stored.
///
/// The replay buffer lives in memory, and each start (an upgrade, a crash systemd restarts) or
/// reload built an empty one: learning then waited for 64 overload windows, which on a host
/// with one sale a day means days, and learned meanwhile from whatever few windows came first.
/// A model learning every layer from scratch warned of fewer overloads for days after each
/// restart (BENCHMARKS.md, "Session 24"). The stored samples hold every tick's
/// metrics, so the windows and targets are made again exactly as the live ticks make them
/// (the same scaling, carry-forward, labeller and thinning), under the config now in force: a
/// changed SLO rule relabels the past.
///
/// Nothing is predicted, scored or learned here; the windows go to the learner's buffer, and
/// its steps start with the live ticks. A stored tick that does not continue the run of the
/// ticks before it (`TickRun`: the daemon was stopped, the interval changed, the clock was set
/// back) begins a new run, as a start does: the first window of each run is full only after
/// `window.ticks` ticks. When the live window goes on from the stored ticks (a reload, or a
/// start that resumed the window), `handOver(to:)` gives the pipeline the last run's labelling
/// state: the final `horizon` windows, whose targets the coming live ticks give, and the SLO
/// rule's `for_ticks` run, counted on the stored values.
public struct LearningRecall {
    private let learner: OnlineLearner
    private let overload: SurgeConfig.Overload
    private let horizonTicks: Int
    private let windowTicks: Int
    private let schema: MetricSchema
    private let scaler: FeatureScaler
    private let featureColumns: [Int?]
    private let intervalSeconds: Double
    private var inputs: ModelInputWindow
    private var labeller: WindowLabeller
    private var windowScratch: [Float]
    private var raw: [Double]
    private var lastTime: Double?
    /// Stored ticks read, and runs of ticks an interval apart among them.
    public private(set) var ticks = 0
    public private(set) var runs = 0
    /// Windows whose target was known, per target (0: normal, 1: overload), before the
    /// learner's thinning and hold-out.
    public private(set) var labelled = [0, 0]

    /// At most this many stored ticks are read: 30 days at the default 10 s interval, the
    /// default retention. The overload ring holds 2,048 windows, which a host with a short
    /// sale a day fills in about two weeks.
    public static let maxTicks = 30 * 8_640

    /// Nil when the pipeline does not learn online.
    public init?<C>(pipeline: DetectionPipeline<C>, intervalSeconds: Double) {
        guard let learner = pipeline.learner else { return nil }
        self.learner = learner
        overload = pipeline.settings.overload
        horizonTicks = pipeline.settings.horizonTicks
        windowTicks = pipeline.settings.windowTicks
        schema = pipeline.window.schema
        scaler = pipeline.scaler
        featureColumns = pipeline.featureColumns
        self.intervalSeconds = intervalSeconds
        (inputs, labeller) = Self.emptyRun(overload, schema: schema, horizon: horizonTicks, windowTicks: windowTicks,
                                           features: scaler.features.count)
        windowScratch = [Float](repeating: 0, count: windowTicks * scaler.features.count)
        raw = [Double](repeating: .nan, count: scaler.features.count)
    }

    /// A run's start: no rows, no windows waiting for their targets.
    /// The host's levels go on (`HostLevels`): a gap in the ticks is not a new host.
    private static func emptyRun(_ overload: SurgeConfig.Overload, schema: MetricSchema, horizon: Int, windowTicks: Int,
                                 features: Int, levels: HostLevels? = nil) -> (ModelInputWindow, WindowLabeller) {
        (ModelInputWindow(featureCount: features, capacity: windowTicks, levels: levels),
         WindowLabeller(overload, schema: schema, horizon: horizon, windowSize: windowTicks * features))
    }

    /// After the last stored tick: when `pipeline`'s window holds that tick, its rows after it
    /// (the ticks a restart skipped, entered missing, or ticks not yet written) are recalled
    /// too, and the pipeline labels its coming ticks from this recall's state, so the windows
    /// waiting for their targets are learned from as the live ticks would have. Otherwise (the
    /// window did not resume, or holds other ticks) the pipeline keeps its own.
    public mutating func handOver<C>(to pipeline: DetectionPipeline<C>) {
        let window = pipeline.window
        guard let lastTime, let stored = (0..<window.count).last(where: { window.timestamp(row: $0) == lastTime }) else { return }
        for age in (stored + 1)..<window.count {
            let sample = window.sample(row: age)
            recall(time: sample.timestamp, values: sample.values)
        }
        pipeline.labeller = labeller
    }

    /// One stored tick, in the order they were written: `values` in `schema` order (NaN when
    /// missing).
    public mutating func recall(time: Double, values: [Double]) {
        ticks += 1
        if !(lastTime.map { TickRun.continues(gap: time - $0, intervalSeconds: intervalSeconds) } ?? false) {
            (inputs, labeller) = Self.emptyRun(overload, schema: schema, horizon: horizonTicks, windowTicks: windowTicks,
                                               features: scaler.features.count, levels: inputs.levels)
            runs += 1
        }
        lastTime = time
        // The live window holds each value as a Float (SampleWindow): the same rounding here
        // gives the same scaled rows.
        for (index, column) in featureColumns.enumerated() {
            raw[index] = column.map { Double(Float(values[$0])) } ?? .nan
        }
        inputs.push(raw: raw, scaler: scaler)
        let sample = Sample(timestamp: time, tick: ticks, schema: schema, values: values)
        let learner = self.learner
        var counts = [0, 0]
        _ = labeller.advance(sample, inputs: inputs, window: &windowScratch) { window, target in
            counts[target] += 1
            learner.offer(window, label: target)
        }
        labelled[0] += counts[0]
        labelled[1] += counts[1]
    }
}
