import Testing
@testable import SurgeModel

/// Backpropagation checked against finite differences of an independent float64 forward pass
/// (written here, not sharing code with SurgeModel), on a tiny model with class weights.
@Suite struct GradientCheckTests {
    /// Weighted mean cross-entropy, in Double, reading parameters in SurgeModel's flat layout.
    static func referenceLoss(_ p: [Double], _ shape: LSTMShape, x: [Double], labels: [Int], weights: [Double], B: Int, T: Int) -> Double {
        let H = shape.hidden, G = shape.gates
        func sigmoid(_ v: Double) -> Double { 1 / (1 + (-v).exp) }
        var offsets: [LSTMShape.Tensor.Role: Int] = [:]
        for tensor in shape.tensors { offsets[tensor.role] = tensor.offset }
        var total = 0.0, weightSum = 0.0
        for b in 0..<B {
            var sequence = (0..<T).map { t in Array(x[(b * T + t) * shape.features..<(b * T + t + 1) * shape.features]) }
            for k in 0..<shape.layers {
                let inSize = shape.inputSize(layer: k)
                let wx = offsets[.inputKernel(layer: k)]!, wh = offsets[.recurrentKernel(layer: k)]!
                let bx = offsets[.inputBias(layer: k)]!, bh = offsets[.recurrentBias(layer: k)]!
                var h = [Double](repeating: 0, count: H), c = h
                var outputs: [[Double]] = []
                for t in 0..<T {
                    var z = (0..<G).map { p[bx + $0] + p[bh + $0] }
                    for j in 0..<inSize { for r in 0..<G { z[r] += sequence[t][j] * p[wx + j * G + r] } }
                    for j in 0..<H { for r in 0..<G { z[r] += h[j] * p[wh + j * G + r] } }
                    for j in 0..<H {
                        let i = sigmoid(z[j]), f = sigmoid(z[H + j]), g = z[2 * H + j].tanhValue, o = sigmoid(z[3 * H + j])
                        c[j] = f * c[j] + i * g
                        h[j] = o * c[j].tanhValue
                    }
                    outputs.append(h)
                }
                sequence = outputs
            }
            let last = sequence[T - 1]
            let head = offsets[.headWeight]!, bias = offsets[.headBias]!
            let logits = (0..<shape.classes).map { cls in p[bias + cls] + (0..<H).reduce(0.0) { $0 + p[head + cls * H + $1] * last[$1] } }
            let largest = logits.max()!
            let logSum = logits.reduce(0.0) { $0 + ($1 - largest).exp }.log + largest
            total += weights[labels[b]] * (logSum - logits[labels[b]])
            weightSum += weights[labels[b]]
        }
        return total / weightSum
    }

    @Test func analyticGradientsMatchFiniteDifferences() {
        let shape = LSTMShape(features: 3, hidden: 4, layers: 2)
        let B = 3, T = 5
        var generator = SeededGenerator(seed: 11)
        let x = (0..<(B * T * shape.features)).map { _ in generator.nextUnitFloat() * 2 - 1 }
        let labels = [1, 0, 1], weights: [Float] = [1, 3]
        let model = LSTMClassifier(parameters: .initialized(shape, seed: 12))
        let workspace = LSTMWorkspace(shape: shape, batch: B, steps: T)
        model.forward(x, workspace: workspace)
        var gradients = LSTMParameters.zeros(shape)
        model.backward(labels: labels, classWeights: weights, workspace: workspace, gradients: &gradients)

        let p = model.parameters.values.map(Double.init), xd = x.map(Double.init), wd = weights.map(Double.init)
        let referenceLoss = Self.referenceLoss(p, shape, x: xd, labels: labels, weights: wd, B: B, T: T)
        #expect(abs(Double(model.loss(labels: labels, classWeights: weights, workspace: workspace)) - referenceLoss) < 1e-6)
        var worst = (index: 0, analytic: Float(0), numeric: 0.0, excess: -Double.infinity)
        let delta: Double = 1e-5
        for index in p.indices {
            var plus = p, minus = p
            plus[index] += delta
            minus[index] -= delta
            let numeric = (Self.referenceLoss(plus, shape, x: xd, labels: labels, weights: wd, B: B, T: T)
                - Self.referenceLoss(minus, shape, x: xd, labels: labels, weights: wd, B: B, T: T)) / (2 * delta)
            let excess = abs(Double(gradients.values[index]) - numeric) - (1e-6 + 1e-4 * abs(numeric))
            if excess > worst.excess { worst = (index, gradients.values[index], numeric, excess) }
        }
        #expect(worst.excess <= 0, "parameter \(worst.index): analytic \(worst.analytic), numeric \(worst.numeric)")
    }

    /// Without BPTT (`throughLayers: false`, online learning of a trained model) the output
    /// layer's gradient is the full backward's, bit for bit, and every LSTM layer's is zero.
    @Test func outputLayerGradientsAloneMatchTheFullBackward() {
        let shape = LSTMShape(features: 3, hidden: 4, layers: 2)
        let B = 3, T = 5
        var generator = SeededGenerator(seed: 13)
        let x = (0..<(B * T * shape.features)).map { _ in generator.nextUnitFloat() * 2 - 1 }
        let model = LSTMClassifier(parameters: .initialized(shape, seed: 14))
        let workspace = LSTMWorkspace(shape: shape, batch: B, steps: T)
        model.forward(x, workspace: workspace)
        var full = LSTMParameters.zeros(shape), head = LSTMParameters.zeros(shape)
        head.values = [Float](repeating: .nan, count: head.values.count)
        model.backward(labels: [1, 0, 1], classWeights: [1, 3], workspace: workspace, gradients: &full)
        model.backward(labels: [1, 0, 1], classWeights: [1, 3], workspace: workspace, gradients: &head, throughLayers: false)
        let outputLayer = shape.tensors.first { $0.role == .headWeight }!.offset
        #expect(Array(head.values[outputLayer...]) == Array(full.values[outputLayer...]))
        #expect(head.values[..<outputLayer].allSatisfy { $0 == 0 }, "overwritten with zeros")
        #expect(full.values[..<outputLayer].contains { $0 != 0 })
    }

    @Test func trainingLearnsASeparableSequenceTask() {
        // Overload windows carry a ramp on feature 1 over their last four steps, on top of
        // the same noise as normal windows: a precursor the model must find in time.
        let shape = LSTMShape(features: 2, hidden: 16, layers: 2)
        let B = 32, T = 12
        var generator = SeededGenerator(seed: 21)
        func batch() -> (x: [Float], labels: [Int]) {
            var x = [Float](), labels = [Int]()
            for b in 0..<B {
                let overload = b % 2
                labels.append(overload)
                for t in 0..<T {
                    let ramp: Float = overload == 1 && t >= T - 4 ? Float(t - (T - 5)) * 0.5 : 0
                    x.append(generator.nextUnitFloat() * 2 - 1)
                    x.append(generator.nextUnitFloat() - 0.5 + ramp)
                }
            }
            return (x, labels)
        }
        var model = LSTMClassifier(parameters: .initialized(shape, seed: 22))
        var adam = Adam(parameterCount: shape.parameterCount, learningRate: 0.01)
        let workspace = LSTMWorkspace(shape: shape, batch: B, steps: T)
        var gradients = LSTMParameters.zeros(shape)
        let first = batch()
        model.forward(first.x, workspace: workspace)
        let initialLoss = model.loss(labels: first.labels, workspace: workspace)
        for _ in 0..<150 {
            let (x, labels) = batch()
            model.forward(x, workspace: workspace)
            model.backward(labels: labels, workspace: workspace, gradients: &gradients)
            gradients.clipNorm(5)
            adam.update(&model.parameters, gradients: gradients)
        }
        let held = batch()
        model.forward(held.x, workspace: workspace)
        let finalLoss = model.loss(labels: held.labels, workspace: workspace)
        let correct = (0..<B).filter { b in (workspace.probabilities[b * 2 + 1] > 0.5 ? 1 : 0) == held.labels[b] }.count
        #expect(initialLoss > 0.6, "starts near chance: \(initialLoss)")
        #expect(finalLoss < 0.1, "after 150 Adam steps the held-out loss is \(finalLoss)")
        #expect(correct == B, "\(correct) of \(B) held-out windows right")
    }
}

extension Double {
    var exp: Double { Foundation_exp(self) }
    var log: Double { Foundation_log(self) }
    var tanhValue: Double { Foundation_tanh(self) }
}

#if canImport(Glibc)
import Glibc
private func Foundation_exp(_ v: Double) -> Double { Glibc.exp(v) }
private func Foundation_log(_ v: Double) -> Double { Glibc.log(v) }
private func Foundation_tanh(_ v: Double) -> Double { Glibc.tanh(v) }
#endif
