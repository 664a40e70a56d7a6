#if canImport(Glibc)
import Glibc
#endif
import SurgeModel
import SurgeSampling

/// A mini-batch's loss and gradient, computed as two halves (each with its own workspace and
/// gradient) and combined in a fixed order: Σ_h W_h·x_h / Σ_h W_h, where W_h is the sum of
/// the class weights of half h's windows. That is the whole batch's class-weighted mean, as one
/// backward over all its windows gives, up to rounding.
///
/// Why halves: `replay` learns a step every ten ticks, and at 0.7-1.8 ms a step against 25 µs a
/// tick, learning is nearly all of a replay's time. With `sideBySide` the second half runs on
/// a thread of its own while this one runs the first, which almost halves a step's wall time
/// on two cores. The daemon runs the halves one after the other on its learner thread: the
/// same CPU time as one whole batch, on one core at a time. Each half's arithmetic and the
/// combination are the same wherever they run, so both give the same weights bit for bit, and
/// `replay` still reproduces what the daemon would have learned.
final class BatchHalves: @unchecked Sendable {
    private let halves: [Half]
    private let sideBySide: Bool

    /// `outputLayerOnly`: gradients of the output layer alone (LearningPolicy.outputLayerOnly);
    /// the LSTM layers' stay zero and no BPTT runs.
    init(shape: LSTMShape, batch: Int, windowTicks: Int, sideBySide: Bool, outputLayerOnly: Bool = false) {
        halves = Self.split(batch).map { Half(windows: $0, shape: shape, windowTicks: windowTicks, outputLayerOnly: outputLayerOnly) }
        self.sideBySide = sideBySide && halves.count == 2
    }

    /// The windows of each half (one part for a batch of 1).
    private static func split(_ batch: Int) -> [Range<Int>] {
        let first = batch / 2
        return first > 0 ? [0..<first, first..<batch] : [0..<batch]
    }

    /// The batch's class-weighted mean cross-entropy under `model`; with `gradients`, also its
    /// gradient (overwritten). `inputs` holds the batch's windows one after another.
    func evaluate(_ model: LSTMClassifier, inputs: [Float], labels: [Int], classWeights: [Float],
                  gradients: UnsafeMutableBufferPointer<Float>? = nil) -> Float {
        let withGradient = gradients != nil
        let others = halves.dropFirst()
        var helper: pthread_t?
        if sideBySide, let second = others.first {
            helper = PlainThread.start { second.run(model, inputs, labels, classWeights, withGradient: withGradient) }
        }
        halves[0].run(model, inputs, labels, classWeights, withGradient: withGradient)
        if let helper {
            pthread_join(helper, nil)
        } else {  // one after another (the daemon), or no thread could be made
            for half in others { half.run(model, inputs, labels, classWeights, withGradient: withGradient) }
        }
        let total = halves.reduce(Float(0)) { $0 + $1.weight }
        var loss: Float = 0
        for half in halves { loss += half.weight / total * half.loss }
        if let gradients {
            gradients.update(repeating: 0)
            for half in halves {
                let share = half.weight / total
                half.gradients.values.withUnsafeBufferPointer { g in
                    for i in 0..<gradients.count { gradients[i] += share * g[i] }
                }
            }
        }
        return loss
    }

    /// Floats the halves' workspaces and gradients take (LearningMemory).
    static func floatCount(shape: LSTMShape, batch: Int, windowTicks: Int) -> Int {
        split(batch).reduce(0) { $0 + LSTMWorkspace.floatCount(shape: shape, batch: $1.count, steps: windowTicks) + shape.parameterCount }
    }
}

/// One half of a mini-batch: its windows, and the buffers a forward and backward over them use.
/// Only one thread touches a half at a time (BatchHalves starts and joins the helper).
private final class Half: @unchecked Sendable {
    let windows: Range<Int>
    let workspace: LSTMWorkspace
    var inputs: [Float]
    var labels: [Int]
    var gradients: LSTMParameters
    private(set) var loss: Float = 0
    /// Σ of the class weights of its windows.
    private(set) var weight: Float = 0
    let outputLayerOnly: Bool

    init(windows: Range<Int>, shape: LSTMShape, windowTicks: Int, outputLayerOnly: Bool) {
        self.windows = windows
        self.outputLayerOnly = outputLayerOnly
        workspace = LSTMWorkspace(shape: shape, batch: windows.count, steps: windowTicks)
        inputs = [Float](repeating: 0, count: windows.count * windowTicks * shape.features)
        labels = [Int](repeating: 0, count: windows.count)
        gradients = .zeros(shape)
    }

    func run(_ model: LSTMClassifier, _ batchInputs: [Float], _ batchLabels: [Int], _ classWeights: [Float], withGradient: Bool) {
        let size = inputs.count / windows.count
        inputs.replaceSubrange(0..<inputs.count, with: batchInputs[(windows.lowerBound * size)..<(windows.upperBound * size)])
        labels.replaceSubrange(0..<labels.count, with: batchLabels[windows])
        weight = labels.reduce(Float(0)) { $0 + classWeights[$1] }
        model.forward(inputs, workspace: workspace)
        loss = model.loss(labels: labels, classWeights: classWeights, workspace: workspace)
        if withGradient {
            model.backward(labels: labels, classWeights: classWeights, workspace: workspace, gradients: &gradients,
                           throughLayers: !outputLayerOnly)
        }
    }
}
