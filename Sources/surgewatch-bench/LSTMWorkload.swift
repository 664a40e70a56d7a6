import ArgumentParser
import SurgeModel

/// The model and inputs both LSTM commands (`lstm`, `alloc`) run on: bench.py's shapes by
/// default, random inputs in [-1, 1) from a seeded generator, alternating labels.
struct LSTMWorkload: ParsableArguments {
    @Option var T = 30
    @Option var F = 12
    @Option var H = 32
    @Option var layers = 2
    @Option(name: .customLong("train-batch")) var trainBatch = 32

    struct Inputs {
        var shape: LSTMShape
        var model: LSTMClassifier
        /// One window [T × F].
        var window: [Float]
        /// A training batch [trainBatch × T × F].
        var batch: [Float]
        var labels: [Int]
    }

    func make(seed: UInt64) -> Inputs {
        let shape = LSTMShape(features: F, hidden: H, layers: layers)
        var generator = SeededGenerator(seed: seed)
        let window = (0..<(T * F)).map { _ in generator.nextUnitFloat() * 2 - 1 }
        let batch = (0..<(trainBatch * T * F)).map { _ in generator.nextUnitFloat() * 2 - 1 }
        return Inputs(shape: shape, model: LSTMClassifier(parameters: .initialized(shape, seed: 0)),
                      window: window, batch: batch, labels: (0..<trainBatch).map { $0 % 2 })
    }
}
