import SurgeConfig
import SurgeModel

/// How the daemon keeps learning (the numbers are the defaults; see OnlineLearner).
public struct LearningPolicy: Sendable, Equatable {
    /// Windows per Adam mini-batch.
    public var batch = 32
    /// One mini-batch every this many ticks (100 s at 10 s ticks). A step at B = 32 costs about
    /// 0.7 ms of CPU at the default sizes for the output layer, 1.8 ms through every layer
    /// (BENCHMARKS.md), which the daemon spends beside the
    /// ticks; replay learns at thousands of ticks a second.
    public var stepEvery = 10
    /// No learning before the replay buffer holds this many windows of *each* class: learning
    /// from normal windows alone would teach a pretrained model that overload never happens.
    public var minimumPerClass = 64
    /// Far smaller than offline training's: online steps adjust a trained model, they do not
    /// train one (1e-4 measured worse on both evaluation traces, BENCHMARKS.md).
    public var learningRate: Float = 3e-5
    public var clipNorm: Float = 1
    /// Online steps change only the output layer (the dense head over the last LSTM state): the
    /// LSTM layers keep what offline training learned from many traces, and the host's few
    /// labelled windows move only the decision on them. Learning every layer online cost warned
    /// episodes or added false alarms on each evaluation trace (170 warned − false alarms over
    /// seven traces, against 217 with no learning); the output layer alone netted 209, the last
    /// LSTM layer and the output layer 193 (BENCHMARKS.md, session 15). A fresh model learns
    /// every layer: it has nothing else to learn with; so does a trained one with `[learning]
    /// layers = "all"`, for a host it does not fit (the output layer alone cannot rescue it there,
    /// BENCHMARKS.md, session 16).
    public var outputLayerOnly = false
    /// Windows kept per class. With normal windows thinned (below), the normal ring spans about
    /// a day of 10 s ticks, so one busy evening does not crowd out what a quiet night looks like.
    public var capacityPerClass = 2048
    /// Keep one normal window in this many (neighbouring windows overlap almost entirely);
    /// overload windows are all kept.
    public var normalThinning = 4
    /// Every n-th labelled window of each class is held out (never trained on) to judge the weights.
    public var holdoutEvery = 4
    public var holdoutCapacity = 64
    /// The guard compares the live weights with the last good ones every this many steps.
    public var guardEvery = 25
    /// Roll back when the live loss on the held-out windows exceeds the last good weights' by
    /// this fraction (plus 0.02 absolute, so near-zero losses do not trigger on noise).
    public var rollbackMargin: Float = 0.25
    public var seed: UInt64 = 1
    /// Each mini-batch is computed as two halves (BatchHalves). Side by side, the second runs on
    /// a thread of its own: `replay` with two threads. The daemon runs them one after the other
    /// (false), which gives the same weights on one core at a time.
    public var halvesSideBySide = false

    public init() {}

    /// The config's `[learning]` keys over these defaults.
    public init(_ config: SurgeConfig.Learning, untrained: Bool) {
        minimumPerClass = config.minimumWindowsPerClass
        stepEvery = config.stepEveryTicks
        learningRate = Float(config.rate ?? (untrained ? 1e-3 : 3e-5))
        outputLayerOnly = Self.outputLayerOnly(trainedOffline: !untrained, config)
    }

    /// The one rule for what online learning moves: the output layer alone for a model trained
    /// offline (built-in, a model file) unless `[learning] layers = "all"`; every layer otherwise.
    public static func outputLayerOnly(trainedOffline: Bool, _ config: SurgeConfig.Learning) -> Bool {
        trainedOffline && config.layers == .output
    }
}

/// Learns from labelled windows as they arrive (see PendingTargets for when that is), one
/// mini-batch at a time, with a guard that keeps the last good weights.
///
/// The guard: every `guardEvery` steps both the live weights and the last good ones are scored
/// on the held-out windows (class-balanced cross-entropy). Live weights at least as good become
/// the good ones; live weights worse by more than the margin are replaced by the good ones and
/// Adam starts afresh (rolled back, and said in the log); in between, learning goes on and the
/// good weights stay. So a slow slide cannot pass in small steps: it is measured against the
/// weights last known good, not against last time's. A burst of wrong labels (a misfiring rule
/// during a deploy, a broken metric) therefore cannot undo what the model knew, while a
/// lasting change of the host fills the held-out set, the live weights score better on it, and
/// they are promoted.
///
/// Where a step runs (`Execution`): `inline` runs it in the tick that is due, so the weights it
/// makes predict from the next tick on (replay, benchmarks, tests: the same input gives the
/// same output byte for byte). `background` (the daemon) runs it on a thread of its own, so
/// learning never delays a tick however long a step takes: its weights predict from the first
/// tick after it finished, and a step that falls due while one runs waits for it. When a step
/// takes less than a tick, as at the default sizes (about 1 ms against 10 s), both
/// give the same weights at the same ticks.
public final class OnlineLearner {
    public enum Execution: Sendable { case inline, background }

    public let policy: LearningPolicy
    public let shape: LSTMShape
    public let windowTicks: Int
    public let execution: Execution
    /// The weights predicting now.
    public private(set) var model: LSTMClassifier
    public private(set) var lastGood: LSTMParameters
    public private(set) var replay: ReplayBuffer
    private var holdout: ReplayBuffer
    private var generator: SeededGenerator
    let engine: LearningStepEngine
    private var running: StepInFlight?
    /// Labelled windows offered so far, per class (the hold-out takes every n-th of each class).
    private var labelledSeen = [0, 0]
    private var normalOffered = 0
    private var ticksSinceStep = 0
    public private(set) var steps = 0
    public private(set) var rollbacks = 0
    /// Counts every change of `model`'s weights (steps, rollbacks, restores): equal counts,
    /// equal weights.
    public private(set) var weightsGeneration = 0
    /// Training loss of the last step.
    public private(set) var lastLoss: Float?
    /// CPU seconds the last step took (on whichever thread ran it).
    public private(set) var lastStepCPUSeconds: Double?
    /// Steps whose outcome was taken, skipped ones included (`steps` counts only those that
    /// changed the weights).
    public private(set) var finishedSteps = 0
    /// Ticks at which a step was due but the previous one still ran (background only): learning
    /// runs behind the config's pace, the ticks do not.
    public private(set) var ticksBehind = 0

    public enum Event: Sendable, Equatable {
        case accepted(liveLoss: Float, goodLoss: Float)
        /// Worse than the good weights, within the margin: learning continues.
        case kept(liveLoss: Float, goodLoss: Float)
        case rolledBack(liveLoss: Float, goodLoss: Float)
        case skippedNonFinite
    }

    public init(model: LSTMClassifier, windowTicks: Int, policy: LearningPolicy = LearningPolicy(), execution: Execution = .inline) {
        precondition(policy.batch > 0 && policy.normalThinning > 0 && policy.stepEvery > 0 && policy.guardEvery > 0 && policy.holdoutEvery > 1)
        self.policy = policy
        self.model = model
        self.execution = execution
        shape = model.shape
        self.windowTicks = windowTicks
        lastGood = model.parameters
        engine = LearningStepEngine(parameters: model.parameters, windowTicks: windowTicks, policy: policy)
        let windowSize = windowTicks * shape.features
        replay = ReplayBuffer(windowSize: windowSize, capacityPerClass: policy.capacityPerClass)
        holdout = ReplayBuffer(windowSize: windowSize, capacityPerClass: policy.holdoutCapacity / 2)
        generator = SeededGenerator(seed: policy.seed)
    }

    /// A labelled window (T × F, scaled) whose target is now known.
    public func offer(_ window: UnsafeBufferPointer<Float>, label: Int) {
        if label == 0 {
            normalOffered += 1
            guard normalOffered % policy.normalThinning == 0 else { return }
        }
        labelledSeen[label] += 1
        if labelledSeen[label] % policy.holdoutEvery == 0 {
            holdout.add(window, label: label)
        } else {
            replay.add(window, label: label)
        }
    }

    public var isReady: Bool { replay.counts.allSatisfy { $0 >= policy.minimumPerClass } }

    /// Takes the weights of a background step that has finished since the last tick, without
    /// waiting; the pipeline calls it before predicting. Returns what the guard decided, when
    /// it ran. Inline steps are taken as they run, so this returns nil for them.
    public func collect() -> Event? {
        guard let outcome = running?.take() else { return nil }
        running = nil
        return apply(outcome)
    }

    /// Waits for a step running in the background and takes its weights (shutdown, tests).
    @discardableResult
    public func finishRunningStep() -> Event? {
        guard let step = running else { return nil }
        running = nil
        return apply(step.wait())
    }

    /// Waits until a step running in the background is done, but leaves its weights for the
    /// next `collect()`, which then reports what its guard decided (tests: a step that
    /// finished within its tick).
    public func waitForRunningStep() { _ = running?.wait() }

    /// Called once per tick, after the tick's windows were offered: starts a mini-batch when
    /// one is due, the buffer is ready and no step is running. Inline, the step runs here and
    /// this returns what the guard decided, when it ran.
    public func tick() -> Event? {
        ticksSinceStep += 1
        guard ticksSinceStep >= policy.stepEvery, isReady else { return nil }
        guard running == nil else {
            ticksBehind += 1
            return nil
        }
        ticksSinceStep = 0
        let job = nextJob()
        if execution == .background, let step = StepInFlight(engine: engine, job: job) {
            running = step
            return nil
        }
        return apply(engine.run(job))
    }

    private func nextJob() -> LearningJob {
        var inputs = [Float](repeating: 0, count: policy.batch * replay.windowSize)
        var labels = [Int](repeating: 0, count: policy.batch)
        let weights = replay.sample(into: &inputs, labels: &labels, using: &generator)
        let guardDue = (steps + 1) % policy.guardEvery == 0
        return LearningJob(inputs: inputs, labels: labels, classWeights: weights,
                           heldOut: guardDue ? heldOutBatches() : nil)
    }

    /// Two batches of held-out windows drawn with a fixed generator, so that the guard scores
    /// the live and the good weights on the same windows; nil while a class has none.
    private func heldOutBatches() -> [HeldOutBatch]? {
        guard holdout.counts.allSatisfy({ $0 > 0 }) else { return nil }
        var draw = SeededGenerator(seed: 0x5eed)
        return (0..<2).map { _ in
            var inputs = [Float](repeating: 0, count: policy.batch * holdout.windowSize)
            var labels = [Int](repeating: 0, count: policy.batch)
            let weights = holdout.sample(into: &inputs, labels: &labels, using: &draw)
            return HeldOutBatch(inputs: inputs, labels: labels, classWeights: weights)
        }
    }

    private func apply(_ outcome: LearningOutcome) -> Event? {
        model.parameters = outcome.parameters
        weightsGeneration += 1
        lastGood = outcome.lastGood
        lastStepCPUSeconds = outcome.cpuSeconds
        finishedSteps += 1
        if let loss = outcome.loss {
            steps += 1
            lastLoss = loss
        }
        if case .rolledBack? = outcome.event { rollbacks += 1 }
        return outcome.event
    }

    /// Counts on from the steps a checkpoint's weights had had before this run, before any step
    /// here: checkpoints then record every step the weights took, and a fresh model's p, which
    /// is withheld until the guard has scored its weights once, stays trusted after a restart.
    public func countSteps(from earlier: Int) {
        precondition(steps == 0 && earlier >= 0, "steps are carried over once, at the start")
        steps = earlier
    }

    /// Replaces the live and good weights (a checkpoint restored at start).
    public func restore(_ parameters: LSTMParameters) {
        precondition(parameters.shape == shape)
        finishRunningStep()
        engine.restore(parameters)
        model.parameters = parameters
        weightsGeneration += 1
        lastGood = parameters
    }
}
