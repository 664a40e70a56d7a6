import SurgeConfig
import SurgeModel
import SurgeSampling

/// What `run`, `replay` and `train` feed each sample into, so every entry point runs the same
/// steps in the same order: keep the raw window, scale the model's features (carrying gaps
/// forward), predict once the window is full, label the tick by the SLO rule, hand windows
/// whose target became known to the online learner, and drive the alert state machine.
public final class DetectionPipeline<C: AlertClock> where C: Sendable {
    public let settings: Settings
    public private(set) var window: SampleWindow
    public var scaler: FeatureScaler { predictor.scaler }
    /// Column of each feature in the window's schema (nil: no source provides it).
    public var featureColumns: [Int?] { predictor.featureColumns }
    public var inputs: ModelInputWindow { predictor.inputs }
    private var predictor: WindowPredictor
    public private(set) var alerts: AlertStateMachine<C>
    /// Internal for `LearningRecall.handOver(to:)`, which gives it the stored ticks' state.
    var labeller: WindowLabeller
    /// `[alert] hold` on this tick's values (a missing metric does not hold).
    private let holdRule: OverloadRule?
    /// `[schedule] fire_when`, a rule per condition so that an alert can name the one that
    /// held; asked on the last tick before a start only.
    private let saleLevelRules: [(condition: OverloadCondition, rule: OverloadRule)]
    /// The rule's metrics over the open alert's ticks, for its resolved event.
    private var ruleApproach: RuleApproachTracker
    /// `[schedule]`'s sales near the tick's time.
    private var announced: AnnouncedStarts
    /// Present when learning online; it owns the live weights then.
    public let learner: OnlineLearner?
    private var frozenModel: LSTMClassifier
    /// Present when a model trained offline learns online: it decides whether the trained or
    /// the learned weights serve (WeightsReferee).
    public private(set) var referee: WeightsReferee?
    /// Whether the learned weights had the trained ones' LSTM layers, checked at the learner's
    /// weights generation noted (once per change of the weights, not per tick).
    private var layersMatch: (generation: Int, match: Bool)?
    /// How p came true on this host: the stored history the daemon started from, then every
    /// tick. A predicted alert quotes its band (AlertEvent.pastOutcome).
    public private(set) var reliability: RunningReliability

    public struct Settings: Sendable {
        public var features: [String]
        public var windowTicks: Int
        public var horizonTicks: Int
        public var overload: SurgeConfig.Overload
        public var alert: AlertPolicy
        /// `[alert] hold`: an open alert does not resolve while any of these holds.
        public var hold: [OverloadCondition]
        /// `[schedule]`: announced sales, whose windows lower the fire threshold.
        public var schedule: SurgeConfig.Schedule
        public var learnOnline: Bool
        public var learning: LearningPolicy
        /// Where learning steps run: in the tick (replay: deterministic) or on a thread of
        /// their own (the daemon: a tick never waits for one). See OnlineLearner.
        public var learningExecution: OnlineLearner.Execution = .inline
        /// Seconds per tick (for the horizon in alert events).
        public var tickSeconds: Double
        /// The model starts untrained (no file, no built-in model, no checkpoint fits): its
        /// probabilities are noise until online learning has passed the guard once, so until
        /// then they are not reported and alerts come from the SLO rule alone.
        public var untrained: Bool
        /// How the host's record picks the serving weights when a trained model learns online;
        /// nil: the learned weights always serve (benchmarks of learning itself).
        public var referee: WeightsReferee.Policy? = WeightsReferee.Policy()
        /// With a referee, the learned weights' p takes their dense head alone on the trained
        /// forward's hidden state while both have the same LSTM layers (the output layer alone
        /// learns); false: a whole forward for each (the benchmark's peer).
        public var headOnlyWhileLayersMatch = true

        /// `untrained` has no default: whether the model starts fresh decides what learns, at what
        /// rate, and whether p is withheld, and a caller that forgot it (replay, until session 16)
        /// ran a fresh model as a trained one.
        public init(config: SurgeConfig, tickSeconds: Double? = nil, learning: LearningPolicy? = nil, untrained: Bool) {
            let seconds = tickSeconds ?? config.sampling.interval.seconds
            features = config.model.features
            windowTicks = config.window.ticks
            horizonTicks = config.model.horizonTicks
            overload = config.overload
            alert = AlertPolicy(config.alert, schedule: config.schedule, horizonSeconds: Double(max(config.model.horizonTicks, 1)) * seconds)
            hold = config.alert.hold
            schedule = config.schedule
            learnOnline = config.learning.online
            self.learning = learning ?? LearningPolicy(config.learning, untrained: untrained)
            self.tickSeconds = seconds
            self.untrained = untrained
        }

        /// What the daemon's log and replay's header say of online learning: "off", "on (output
        /// layer)" or "on (every layer)".
        public var onlineLearningText: String {
            guard learnOnline else { return "off" }
            return learning.outputLayerOnly ? "on (output layer)" : "on (every layer)"
        }
    }

    /// What one tick produced.
    public struct TickResult: Sendable {
        /// p(overload within the horizon); nil until the window is full.
        public var probability: Double?
        /// The SLO rule's verdict (with for_ticks); nil when a metric it reads is missing.
        public var label: Bool?
        /// The serving weights changed this tick (WeightsReferee).
        public var servingChange: WeightsReferee.Verdict?
        /// An alert is open after this tick.
        public var alerting: Bool
        /// normal | warming_up | no_data | predicted | breached (the `predictions.state` column).
        public var state: String
        /// Every feature has been missing for longer than the carry-forward: no p this tick.
        public var blind: Bool
        public var events: [AlertEvent]
        public var learning: OnlineLearner.Event?
        public var fill: ModelInputWindow.RowFill
        /// The window holds values imputed after long gaps: predicted on, not learned from.
        public var degraded: Bool
        public var outcome: TickOutcome
    }

    /// `model` must have been made for `settings.features` (names and order) and window length;
    /// `history` (the window of a previous pipeline, after SIGHUP, or of the last run) is re-read
    /// without labels, but for the SLO rule's run of ticks held;
    /// `reliability` (how p came true before) must count at `settings.horizonTicks`.
    /// `learned`: weights this host learned before (a checkpoint), from which online learning
    /// goes on while `model` stays the trained weights the referee weighs them against;
    /// `serving`: which of the two served when that checkpoint was saved.
    /// `levels`: the host's levels of a model's relative features (`HostLevels`) as of the
    /// ticks before `history`, which are then read into them too (nil: they start at the
    /// first tick; ignored when the model reads none or they were kept for another).
    public init(settings: Settings, schema: MetricSchema, model: ModelFile, clock: C,
                restoring open: AlertStateMachine<C>.OpenAlert? = nil, history: SampleWindow? = nil, levels: HostLevels? = nil,
                reliability past: RunningReliability? = nil,
                learned: LSTMParameters? = nil, serving: WeightsReferee.Choice = .trained,
                makeID: @escaping @Sendable () -> String = AlertEvent.newID) throws(PipelineError) {
        guard model.features.map(\.name) == settings.features else {
            throw .modelFeatures(model: model.features.map(\.name), config: settings.features)
        }
        self.settings = settings
        window = history?.rebuilt(schema: schema, capacity: settings.windowTicks) ?? SampleWindow(schema: schema, capacity: settings.windowTicks)
        predictor = WindowPredictor(features: model.features, schema: schema, windowTicks: settings.windowTicks,
                                    shape: model.parameters.shape, levels: levels)
        alerts = AlertStateMachine(policy: settings.alert, clock: clock, restoring: open, makeID: makeID)
        // Any of the conditions, this tick: a rule without all-clauses or for_ticks.
        holdRule = settings.hold.isEmpty ? nil : OverloadRule(SurgeConfig.Overload(any: settings.hold), schema: schema)
        announced = AnnouncedStarts(settings.schedule)
        saleLevelRules = settings.schedule.sales.isEmpty ? []
            : settings.schedule.fireWhen.map { ($0, OverloadRule(SurgeConfig.Overload(any: [$0]), schema: schema)) }
        labeller = WindowLabeller(settings.overload, schema: schema, horizon: settings.horizonTicks,
                                  windowSize: settings.windowTicks * settings.features.count)
        // The rule's `for_ticks` run goes on through a SIGHUP or a resumed restart: counted
        // from zero, the ticks after one in the middle of a breach were labelled normal. The
        // window holds Floats, so a value within Float rounding of a threshold may count
        // differently than it did live.
        ruleApproach = RuleApproachTracker(settings.overload, schema: schema)
        for age in 0..<window.count {
            let sample = window.sample(row: age)
            labeller.resume(sample)
            // An alert that goes on through the SIGHUP or restart: its ticks the window still
            // holds count towards how the rule went.
            if let open, sample.timestamp >= open.firedAt { ruleApproach.add(sample, run: labeller.ruleRun) }
        }
        let classifier = LSTMClassifier(parameters: model.parameters)
        frozenModel = classifier
        precondition(past.map { $0.horizon == settings.horizonTicks } ?? true, "how p came true counts at one horizon")
        reliability = past ?? RunningReliability(horizon: settings.horizonTicks)
        precondition(learned.map { $0.shape == model.parameters.shape } ?? true, "learned weights of another shape")
        learner = settings.learnOnline ? OnlineLearner(model: learned.map(LSTMClassifier.init(parameters:)) ?? classifier,
                                                       windowTicks: settings.windowTicks, policy: settings.learning,
                                                       execution: settings.learningExecution) : nil
        if settings.learnOnline && !settings.untrained, let policy = settings.referee {
            referee = WeightsReferee(alert: settings.alert, horizon: settings.horizonTicks, policy: policy, serving: serving)
        }
        for age in 0..<window.count {
            let window = self.window
            predictor.push { window.value(row: age, column: $0) }
        }
    }

    /// Gives the referee the record a previous run saved (`WeightsReferee.encodedRecord`),
    /// so that its verdicts go on weighing the last days, not the hours since the start.
    public func restoreRefereeRecord(_ bytes: [UInt8]) throws(RefereeRecordError) {
        try referee?.restoreRecord(from: bytes)
    }

    /// The live weights: learned on this host when learning online (they predict when the
    /// referee lets them), else the model's.
    public var model: LSTMClassifier { learner?.model ?? frozenModel }

    /// The weights whose p the alerts and the predictions table get.
    public var servingModel: LSTMClassifier { referee?.serving == .trained ? frozenModel : model }

    /// The live model with its scaling, as a model file (checkpoints, `train`'s output).
    public var modelFile: ModelFile {
        ModelFile(parameters: model.parameters, horizonTicks: settings.horizonTicks, windowTicks: settings.windowTicks,
                  tickSeconds: settings.tickSeconds, features: scaler.features)
    }

    public func ingest(_ sample: Sample) -> TickResult {
        ingest(sample, predicted: nil)
    }

    /// Both weights' p, for the referee. While the learned weights have the trained ones' LSTM
    /// layers, which they keep when the output layer alone learns from the trained weights, the
    /// learned p is their head alone on the trained forward's hidden state: bit for bit the
    /// same p for about half the work. Verified, not assumed: a checkpoint of weights that
    /// learned every layer differs there.
    private func predictBoth() -> (trained: Double?, learned: Double?) {
        let trained = predictor.predict(frozenModel)
        let live = model
        guard settings.headOnlyWhileLayersMatch else { return (trained, predictor.predict(live)) }
        let generation = learner?.weightsGeneration ?? 0
        if layersMatch?.generation != generation {
            layersMatch = (generation, live.hasLayers(equalTo: frozenModel))
        }
        return (trained, layersMatch?.match == true ? predictor.predictHead(live) : predictor.predict(live))
    }

    /// One tick whose probability another `WindowPredictor` has already computed from the same
    /// ticks (replay with learning off, `ReplayRunner`): everything else as `ingest(_:)`.
    func ingest(_ sample: Sample, predicted: Double??) -> TickResult {
        precondition(predicted == nil || learner == nil, "predictions made ahead need fixed weights")
        window.append(sample)
        let newest = window.count - 1, window = self.window
        let fill = predictor.push { window.value(row: newest, column: $0) }
        let missing = predictor.missing
        let collected = learner?.collect()
        let trusted = !settings.untrained || (learner?.steps ?? 0) >= settings.learning.guardEvery
        // Every feature unknown for longer than the carry-forward: the newest row is all
        // training means, and a p from it would call a host nobody sees "normal". No p then,
        // so no predicted alert fires and none resolves on the model's word.
        let blind = fill == .imputed(features: settings.features.count)
        // With a referee both weights predict, so that it can score both; the serving ones' p
        // is the tick's.
        let both = referee.map { _ in blind ? (trained: nil, learned: nil) : predictBoth() }
        let probability = blind ? nil : both.map { referee?.serving == .learned ? $0.learned : $0.trained }
            ?? (trusted ? predicted ?? predictor.predict(model) : nil)
        let label = labeller.advance(sample, inputs: predictor.inputs, window: &predictor.windowInput,
                                     labelled: learner.map { learner in { learner.offer($0, label: $1) } })
        let holding = holdRule?.holdsNow(sample) == true
        let rulePending = settings.alert.firePendingProbability < 1 && labeller.rulePending
        let saleStart = announced.saleStart(at: sample.timestamp, interval: settings.tickSeconds)
        let levelsHeld = saleLevelRules.isEmpty
            || !SurgeConfig.Schedule.asksLevel(at: sample.timestamp, saleStart: saleStart, interval: settings.tickSeconds)
            ? [] : saleLevelRules.filter { $0.rule.holdsNow(sample) == true }.map(\.condition.description)
        let saleLevel = !levelsHeld.isEmpty
        let servingChange = both.flatMap { referee?.observe(timestamp: sample.timestamp, trained: $0.trained, learned: $0.learned,
                                                            label: label, holding: holding, saleStart: saleStart, saleLevel: saleLevel,
                                                            rulePending: rulePending) }
        let started = learner?.tick()
        let learning = collected ?? started
        let degraded = inputs.imputedRows > 0

        let mayAlert = (probability ?? 0) >= settings.alert.resolveProbability || label == true || alerts.open != nil || saleLevel
            || rulePending
        let observation = AlertObservation(probability: probability, ruleHolds: label,
                                           topFeatures: mayAlert ? topFeatures() : [],
                                           holding: holding, saleStart: saleStart, saleLevel: saleLevel, rulePending: rulePending)
        reliability.add(probability: probability, label: label)
        var events = alerts.observe(observation)
        for index in events.indices {
            switch (events[index].event, events[index].kind) {
            case (.fired, .predicted):
                events[index].pastOutcome = events[index].probability.flatMap(reliability.outcome(of:))
                if saleLevel { events[index].saleLevel = levelsHeld.joined(separator: " or ") }
                if rulePending { events[index].rulePending = labeller.pendingDescription }
                ruleApproach.reset()
            case (.fired, .breached):
                // An escalation goes on counting the warning's ticks: one alert.
                if events[index].escalatedFrom == nil { ruleApproach.reset() }
            case (.resolved, _):
                let approach = events[index].firedAt.flatMap { ruleApproach.approach(firedAt: $0, tickSeconds: settings.tickSeconds) }
                events[index].ruleApproach = approach
                events[index].note = events[index].note ?? approach?.text
                ruleApproach.reset()
            }
        }
        if alerts.open != nil { ruleApproach.add(sample, run: labeller.ruleRun) }
        let state: String
        switch alerts.open?.kind {
        case .breached?: state = "breached"
        case .predicted?: state = "predicted"
        case nil: state = !inputs.isFull ? "warming_up" : blind ? "no_data" : "normal"
        }
        return TickResult(probability: probability, label: label, servingChange: servingChange, alerting: alerts.open != nil, state: state,
                          blind: blind, events: events,
                          learning: learning, fill: fill, degraded: degraded,
                          outcome: TickOutcome(windowFill: window.count, windowTicks: window.capacity, missingFeatures: missing))
    }

    /// The features that moved most in this window, in the model's units (standard deviations):
    /// newest value against the mean of the window's first quarter. Raw values are reported.
    public func topFeatures(limit: Int = 3) -> [AlertEvent.FeatureChange] {
        guard window.count >= 2 else { return [] }
        let baselineRows = max(1, window.count / 4)
        var scored: [(score: Float, change: AlertEvent.FeatureChange)] = []
        for (index, column) in featureColumns.enumerated() {
            guard let column else { continue }
            var sum = 0.0, seen = 0
            for age in 0..<baselineRows {
                let value = Double(window.value(row: age, column: column))
                if value.isFinite { sum += value; seen += 1 }
            }
            let recent = Double(window.value(row: window.count - 1, column: column))
            let baseline = seen > 0 ? sum / Double(seen) : Double.nan
            guard recent.isFinite, baseline.isFinite else { continue }
            // Both against the host's level now (a relative feature's): unclipped as the model reads them.
            let centre = predictor.inputs.levels?.centre(index, for: recent) ?? 0
            let score = abs(scaler.scale(recent, feature: index, centre: centre) - scaler.scale(baseline, feature: index, centre: centre))
            scored.append((score, AlertEvent.FeatureChange(name: settings.features[index], baseline: baseline, recent: recent)))
        }
        return scored.sorted { $0.score > $1.score }.prefix(limit).map(\.change)
    }
}

public enum PipelineError: Error, Equatable, CustomStringConvertible, Sendable {
    case modelFeatures(model: [String], config: [String])

    public var description: String {
        switch self {
        case .modelFeatures(let model, let config):
            return "the model reads features [\(model.joined(separator: ", "))] but model.features is [\(config.joined(separator: ", "))]"
        }
    }
}

public struct TickOutcome: Sendable, Equatable {
    public var windowFill: Int
    public var windowTicks: Int
    /// Features missing in this tick's sample.
    public var missingFeatures: Int

    public init(windowFill: Int, windowTicks: Int, missingFeatures: Int) {
        self.windowFill = windowFill
        self.windowTicks = windowTicks
        self.missingFeatures = missingFeatures
    }
}
