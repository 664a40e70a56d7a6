import Testing
@testable import SurgeModel

@Suite struct LSTMBehaviourTests {
    let shape = LSTMShape(features: 12, hidden: 32, layers: 2)

    func randomInputs(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in generator.nextUnitFloat() * 4 - 2 }
    }

    /// p(overload) of a window forward over `rows` inputs [n × F].
    func windowProbability(_ model: LSTMClassifier, _ x: [Float], steps: Int) -> Float {
        let workspace = LSTMWorkspace(shape: model.shape, batch: 1, steps: steps)
        model.forward(x, workspace: workspace)
        return workspace.probabilities[1]
    }

    @Test func streamingEqualsTheWindowForwardOverTwoHundredSteps() {
        let model = LSTMClassifier(parameters: .initialized(shape, seed: 3))
        let x = randomInputs(200 * shape.features, seed: 4)
        var stream = LSTMStream(model: model)
        var worst: Float = 0
        for t in 1...200 {
            let streamed = stream.step(Array(x[(t - 1) * shape.features..<t * shape.features]))
            if t % 10 == 0 || t < 5 {
                let windowed = windowProbability(model, Array(x[0..<t * shape.features]), steps: t)
                worst = max(worst, abs(streamed - windowed))
            }
        }
        #expect(worst <= 1e-6, "streaming and window forward differ by \(worst)")
        stream.reset()
        let first = stream.step(Array(x[0..<shape.features]))
        #expect(first == windowProbability(model, Array(x[0..<shape.features]), steps: 1))
    }

    @Test func slidingPredictorEqualsTheWindowForwardOverTheLastTSamples() {
        let model = LSTMClassifier(parameters: .initialized(shape, seed: 5))
        let T = 30, F = shape.features
        let x = randomInputs(200 * F, seed: 6)
        let predictor = SlidingWindowPredictor(model: model, window: T)
        var worst: Float = 0
        for t in 1...200 {
            let pushed = predictor.push(Array(x[(t - 1) * F..<t * F]))
            let start = max(0, t - T)
            let expected = windowProbability(model, Array(x[start * F..<t * F]), steps: t - start)
            worst = max(worst, abs(pushed - expected))
        }
        #expect(worst <= 1e-6, "sliding predictor differs from the window forward by \(worst)")
        #expect(predictor.count == T)
    }

    @Test func initializationIsSeededAndBoundedLikePyTorch() {
        let a = LSTMParameters.initialized(shape, seed: 42), b = LSTMParameters.initialized(shape, seed: 42)
        #expect(a == b)
        #expect(a != LSTMParameters.initialized(shape, seed: 43))
        let bound = 1 / Float(32).squareRoot()
        #expect(a.values.allSatisfy { abs($0) <= bound })
        let mean = a.values.reduce(0, +) / Float(a.values.count)
        #expect(abs(mean) < 0.01, "uniform around zero")
        #expect(a.values.max()! > bound * 0.99 && a.values.min()! < -bound * 0.99, "the whole range is used")
    }

    /// check-config tells the memory online learning will take from this count, so it must be
    /// what a workspace really allocates, array by array.
    @Test(arguments: [(LSTMShape(features: 4, hidden: 32, layers: 2), 32, 30), (LSTMShape(features: 3, hidden: 5, layers: 3), 7, 11)])
    func aWorkspaceAllocatesWhatItsFloatCountSays(shape: LSTMShape, batch: Int, steps: Int) {
        // Every stored array, found by reflection, so a buffer added later is counted too.
        let allocated = Mirror(reflecting: LSTMWorkspace(shape: shape, batch: batch, steps: steps)).children.reduce(0) { total, child in
            if let floats = child.value as? [Float] { return total + floats.count }
            if let rows = child.value as? [[Float]] { return total + rows.reduce(0) { $0 + $1.count } }
            return total
        }
        #expect(allocated == LSTMWorkspace.floatCount(shape: shape, batch: batch, steps: steps))
    }

    @Test func clippingScalesToTheMaximumNorm() {
        var gradients = LSTMParameters.zeros(LSTMShape(features: 1, hidden: 1, layers: 1))
        gradients.values[0] = 3
        gradients.values[1] = 4
        let unclipped = gradients.clipNorm(10)
        #expect(unclipped == 5)
        #expect(gradients.values[0] == 3, "below the maximum nothing changes")
        let before = gradients.clipNorm(1)
        #expect(before == 5)
        let clippedNorm = (gradients.values.map { $0 * $0 }.reduce(0, +)).squareRoot()
        #expect(abs(clippedNorm - 1) < 1e-5)
    }

    @Test func pytorchLayoutRoundTrips() {
        var parameters = LSTMParameters.initialized(shape, seed: 9)
        let copy = parameters
        for tensor in shape.tensors {
            let data = parameters.pytorchTensor(tensor.name)!
            let fits = parameters.setPytorchTensor(tensor.name, data)
            #expect(fits)
        }
        #expect(parameters == copy)
        #expect(shape.parameterCount == 4 * 32 * (12 + 32 + 2) + 4 * 32 * (32 + 32 + 2) + 2 * 32 + 2)
    }
}
