import Testing
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

/// A mini-batch computed as two halves (BatchHalves): the same bits whether the halves run side
/// by side (replay) or one after the other (the daemon), and the whole batch's loss and
/// gradient up to rounding.
@Suite struct BatchHalvesTests {
    static let shape = LSTMShape(features: 3, hidden: 8, layers: 2)
    static let steps = 6
    static let classWeights: [Float] = [0.6, 3.0]

    static func batch(_ windows: Int, seed: UInt64) -> (inputs: [Float], labels: [Int]) {
        var generator = SeededGenerator(seed: seed)
        let inputs = (0..<(windows * steps * shape.features)).map { _ in generator.nextUnitFloat() * 4 - 2 }
        // Uneven classes, so that the halves' class weights differ and the combination matters.
        let labels = (0..<windows).map { $0 % 3 == 1 ? 1 : 0 }
        return (inputs, labels)
    }

    static func evaluate(_ model: LSTMClassifier, windows: Int, sideBySide: Bool, seed: UInt64) -> (loss: Float, gradients: [Float]) {
        let halves = BatchHalves(shape: shape, batch: windows, windowTicks: steps, sideBySide: sideBySide)
        let (inputs, labels) = batch(windows, seed: seed)
        var gradients = [Float](repeating: .nan, count: shape.parameterCount)
        let loss = gradients.withUnsafeMutableBufferPointer {
            halves.evaluate(model, inputs: inputs, labels: labels, classWeights: classWeights, gradients: $0)
        }
        return (loss, gradients)
    }

    @Test(arguments: [32, 7, 2, 1])
    func sideBySideGivesTheSameBitsAsOneAfterAnother(windows: Int) {
        let model = LSTMClassifier(parameters: .initialized(Self.shape, seed: 4))
        let together = Self.evaluate(model, windows: windows, sideBySide: true, seed: 11)
        let inTurn = Self.evaluate(model, windows: windows, sideBySide: false, seed: 11)
        #expect(together.loss.bitPattern == inTurn.loss.bitPattern)
        #expect(together.gradients.map(\.bitPattern) == inTurn.gradients.map(\.bitPattern))
        #expect(together.gradients.allSatisfy { $0.isFinite })
    }

    @Test(arguments: [32, 7, 1])
    func theHalvesMakeTheWholeBatchsLossAndGradient(windows: Int) {
        let model = LSTMClassifier(parameters: .initialized(Self.shape, seed: 5))
        let halves = Self.evaluate(model, windows: windows, sideBySide: true, seed: 12)

        let (inputs, labels) = Self.batch(windows, seed: 12)
        let workspace = LSTMWorkspace(shape: Self.shape, batch: windows, steps: Self.steps)
        var whole = LSTMParameters.zeros(Self.shape)
        model.forward(inputs, workspace: workspace)
        let wholeLoss = model.loss(labels: labels, classWeights: Self.classWeights, workspace: workspace)
        model.backward(labels: labels, classWeights: Self.classWeights, workspace: workspace, gradients: &whole)

        #expect(abs(halves.loss - wholeLoss) <= 1e-5 * max(1, abs(wholeLoss)))
        let scale = whole.values.map(abs).max()!
        #expect(scale > 1e-4, "the gradient is not trivially zero")
        var worst: Float = 0
        for (a, b) in zip(halves.gradients, whole.values) { worst = max(worst, abs(a - b)) }
        #expect(worst <= 1e-5 * scale, "largest difference \(worst) against a largest gradient of \(scale)")
    }

    @Test func lossWithoutGradientIsTheSame() {
        let model = LSTMClassifier(parameters: .initialized(Self.shape, seed: 6))
        let halves = BatchHalves(shape: Self.shape, batch: 9, windowTicks: Self.steps, sideBySide: true)
        let (inputs, labels) = Self.batch(9, seed: 13)
        let alone = halves.evaluate(model, inputs: inputs, labels: labels, classWeights: Self.classWeights)
        #expect(alone.bitPattern == Self.evaluate(model, windows: 9, sideBySide: false, seed: 13).loss.bitPattern)
    }
}
