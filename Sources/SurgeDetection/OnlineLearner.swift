import SurgeConfig
import SurgeModel

/// How the daemon keeps learning (the numbers are the defaults; see OnlineLearner).
public struct LearningPolicy: Sendable, Equatable {
    /// Windows per Adam mini-batch.
    public var batch = 32
    /// One mini-batch every this many ticks (100 s at 10 s ticks). A step at B = 32 costs about
    /// a millisecond (BENCHMARKS.md), so the tick that learns stays around a millisecond and the
    /// median tick does not learn at all; replay learns at thousands of ticks a second.
    public var stepEvery = 10
    /// No learning before the replay buffer holds this many windows of *each* class: learning
    /// from normal windows alone would teach a pretrained model that overload never happens.
    public var minimumPerClass = 64
    /// Far smaller than offline training's: online steps adjust a trained model, they do not
    /// train one (1e-4 measured worse on both evaluation traces, BENCHMARKS.md).
    public var learningRate: Float = 3e-5
    public var clipNorm: Float = 1
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

    public init() {}

    /// The config's `[learning]` keys over these defaults.
    public init(_ config: SurgeConfig.Learning, untrained: Bool) {
        minimumPerClass = config.minimumWindowsPerClass
        stepEvery = config.stepEveryTicks
        learningRate = Float(config.rate ?? (untrained ? 1e-3 : 3e-5))
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
public final class OnlineLearner {
    public let policy: LearningPolicy
    public let shape: LSTMShape
    public let windowTicks: Int
    public private(set) var model: LSTMClassifier
    public private(set) var lastGood: LSTMParameters
    private var optimizer: Adam
    private var gradients: LSTMParameters
    public private(set) var replay: ReplayBuffer
    private var holdout: ReplayBuffer
    private var generator: SeededGenerator
    private let workspace: LSTMWorkspace
    private var batchInput: [Float]
    private var batchLabels: [Int]
    /// Labelled windows offered so far, per class (the hold-out takes every n-th of each class).
    private var labelledSeen = [0, 0]
    private var normalOffered = 0
    private var ticksSinceStep = 0
    public private(set) var steps = 0
    public private(set) var rollbacks = 0
    /// Training loss of the last step.
    public private(set) var lastLoss: Float?

    public enum Event: Sendable, Equatable {
        case accepted(liveLoss: Float, goodLoss: Float)
        /// Worse than the good weights, within the margin: learning continues.
        case kept(liveLoss: Float, goodLoss: Float)
        case rolledBack(liveLoss: Float, goodLoss: Float)
        case skippedNonFinite
    }

    public init(model: LSTMClassifier, windowTicks: Int, policy: LearningPolicy = LearningPolicy()) {
        precondition(policy.batch > 0 && policy.normalThinning > 0 && policy.stepEvery > 0 && policy.guardEvery > 0 && policy.holdoutEvery > 1)
        self.policy = policy
        self.model = model
        shape = model.shape
        self.windowTicks = windowTicks
        lastGood = model.parameters
        optimizer = Adam(parameterCount: shape.parameterCount, learningRate: policy.learningRate)
        gradients = .zeros(shape)
        let windowSize = windowTicks * shape.features
        replay = ReplayBuffer(windowSize: windowSize, capacityPerClass: policy.capacityPerClass)
        holdout = ReplayBuffer(windowSize: windowSize, capacityPerClass: policy.holdoutCapacity / 2)
        generator = SeededGenerator(seed: policy.seed)
        workspace = LSTMWorkspace(shape: shape, batch: policy.batch, steps: windowTicks)
        batchInput = [Float](repeating: 0, count: policy.batch * windowSize)
        batchLabels = [Int](repeating: 0, count: policy.batch)
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

    /// Called once per tick: runs a mini-batch when one is due and the buffer is ready.
    /// Returns what the guard decided, when it ran.
    public func tick() -> Event? {
        ticksSinceStep += 1
        guard ticksSinceStep >= policy.stepEvery, isReady else { return nil }
        ticksSinceStep = 0
        let weights = replay.sample(into: &batchInput, labels: &batchLabels, using: &generator)
        model.forward(batchInput, workspace: workspace)
        let loss = model.loss(labels: batchLabels, classWeights: weights, workspace: workspace)
        model.backward(labels: batchLabels, classWeights: weights, workspace: workspace, gradients: &gradients)
        guard loss.isFinite, gradients.clipNorm(policy.clipNorm).isFinite else { return .skippedNonFinite }
        optimizer.update(&model.parameters, gradients: gradients)
        steps += 1
        lastLoss = loss
        return steps % policy.guardEvery == 0 ? runGuard() : nil
    }

    private func runGuard() -> Event? {
        guard let live = holdoutLoss(model.parameters), let good = holdoutLoss(lastGood) else { return nil }
        if live > good * (1 + policy.rollbackMargin) + 0.02 {
            model.parameters = lastGood
            optimizer = Adam(parameterCount: shape.parameterCount, learningRate: policy.learningRate)
            rollbacks += 1
            return .rolledBack(liveLoss: live, goodLoss: good)
        }
        guard live <= good else { return .kept(liveLoss: live, goodLoss: good) }
        lastGood = model.parameters
        return .accepted(liveLoss: live, goodLoss: good)
    }

    /// Class-balanced mean cross-entropy over the held-out windows, in batches of `batch`
    /// drawn with a fixed generator so both weight sets see the same windows.
    private func holdoutLoss(_ parameters: LSTMParameters) -> Float? {
        guard holdout.counts.allSatisfy({ $0 > 0 }) else { return nil }
        let scorer = LSTMClassifier(parameters: parameters)
        var draw = SeededGenerator(seed: 0x5eed)
        var total: Float = 0
        let rounds = 2
        for _ in 0..<rounds {
            let weights = holdout.sample(into: &batchInput, labels: &batchLabels, using: &draw)
            scorer.forward(batchInput, workspace: workspace)
            total += scorer.loss(labels: batchLabels, classWeights: weights, workspace: workspace)
        }
        return total / Float(rounds)
    }

    /// Replaces the live and good weights (a checkpoint restored at start).
    public func restore(_ parameters: LSTMParameters) {
        precondition(parameters.shape == shape)
        model.parameters = parameters
        lastGood = parameters
        optimizer = Adam(parameterCount: shape.parameterCount, learningRate: policy.learningRate)
    }
}
