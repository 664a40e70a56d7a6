import SurgeModel

/// What one online-learning step needs, copied out of the replay buffers on the tick's thread
/// so that the step can run elsewhere while the buffers keep filling.
struct LearningJob: Sendable {
    var inputs: [Float]
    var labels: [Int]
    var classWeights: [Float]
    /// The held-out windows the guard scores both weight sets on, when this step is due to
    /// run the guard and the held-out set holds both classes; nil otherwise.
    var heldOut: [HeldOutBatch]?
}

struct HeldOutBatch: Sendable {
    var inputs: [Float]
    var labels: [Int]
    var classWeights: [Float]
}

/// What a step produced, handed back to the tick's thread.
struct LearningOutcome: Sendable {
    /// The live weights after the step (or after the rollback).
    var parameters: LSTMParameters
    var lastGood: LSTMParameters
    /// The training loss; nil when the step was skipped (a loss or gradient not finite).
    var loss: Float?
    var event: OnlineLearner.Event?
    /// CPU time the step took on the thread that ran it.
    var cpuSeconds: Double
}

/// The part of online learning that may run on a thread of its own: one Adam mini-batch and,
/// when the job carries held-out windows, the guard (see OnlineLearner). It owns the live
/// weights, Adam's moments and the last good weights.
///
/// Not thread-safe by itself, and it need not be: `OnlineLearner` hands it one job at a time
/// and touches it again only after that job's thread has published its outcome (a lock's
/// release and acquire order the two), so one thread at a time owns it.
final class LearningStepEngine: @unchecked Sendable {
    let policy: LearningPolicy
    private var live: LSTMClassifier
    private var lastGood: LSTMParameters
    private var optimizer: Adam
    private var gradients: LSTMParameters
    private let halves: BatchHalves

    init(parameters: LSTMParameters, windowTicks: Int, policy: LearningPolicy) {
        self.policy = policy
        live = LSTMClassifier(parameters: parameters)
        lastGood = parameters
        optimizer = Adam(parameterCount: parameters.shape.parameterCount, learningRate: policy.learningRate)
        gradients = .zeros(parameters.shape)
        halves = BatchHalves(shape: parameters.shape, batch: policy.batch, windowTicks: windowTicks,
                             sideBySide: policy.halvesSideBySide, outputLayerOnly: policy.outputLayerOnly)
    }

    /// Tests hold a step here to show that the ticks go on without it.
    var beforeEachStep: (@Sendable () -> Void)?

    func run(_ job: LearningJob) -> LearningOutcome {
        beforeEachStep?()
        let started = ThreadCPUClock.seconds()
        var outcome = step(job)
        outcome.cpuSeconds = ThreadCPUClock.seconds() - started
        return outcome
    }

    private func step(_ job: LearningJob) -> LearningOutcome {
        let loss = gradients.values.withUnsafeMutableBufferPointer { gradients in
            halves.evaluate(live, inputs: job.inputs, labels: job.labels, classWeights: job.classWeights, gradients: gradients)
        }
        guard loss.isFinite, gradients.clipNorm(policy.clipNorm).isFinite else {
            return outcome(loss: nil, event: .skippedNonFinite)
        }
        optimizer.update(&live.parameters, gradients: gradients)
        return outcome(loss: loss, event: job.heldOut.flatMap(runGuard))
    }

    private func outcome(loss: Float?, event: OnlineLearner.Event?) -> LearningOutcome {
        LearningOutcome(parameters: live.parameters, lastGood: lastGood, loss: loss, event: event, cpuSeconds: 0)
    }

    private func runGuard(_ heldOut: [HeldOutBatch]) -> OnlineLearner.Event {
        let liveLoss = loss(of: live, on: heldOut), goodLoss = loss(of: LSTMClassifier(parameters: lastGood), on: heldOut)
        if liveLoss > goodLoss * (1 + policy.rollbackMargin) + 0.02 {
            restore(lastGood)
            return .rolledBack(liveLoss: liveLoss, goodLoss: goodLoss)
        }
        guard liveLoss <= goodLoss else { return .kept(liveLoss: liveLoss, goodLoss: goodLoss) }
        lastGood = live.parameters
        return .accepted(liveLoss: liveLoss, goodLoss: goodLoss)
    }

    /// Class-balanced mean cross-entropy over the held-out batches.
    private func loss(of model: LSTMClassifier, on heldOut: [HeldOutBatch]) -> Float {
        var total: Float = 0
        for batch in heldOut {
            total += halves.evaluate(model, inputs: batch.inputs, labels: batch.labels, classWeights: batch.classWeights)
        }
        return total / Float(heldOut.count)
    }

    /// Live and good weights both become `parameters`, and Adam starts afresh.
    func restore(_ parameters: LSTMParameters) {
        live.parameters = parameters
        lastGood = parameters
        optimizer = Adam(parameterCount: parameters.shape.parameterCount, learningRate: policy.learningRate)
    }

    var parameters: LSTMParameters { live.parameters }
}
