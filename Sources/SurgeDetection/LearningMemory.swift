import SurgeConfig
import SurgeModel

/// The memory online learning takes for a config, allocated when the pipeline starts: the
/// rings of labelled windows (replay and held out), the training workspaces and gradients of
/// a mini-batch's two halves (BatchHalves), and the weight sets (the frozen, serving, live and
/// last good weights, Adam's two moments and the combined gradient), and the referee's record
/// of both weights' alerts (WeightsReferee; a model trained offline has one, a fresh one not,
/// so this is an upper bound). It grows with window × features (rings) and window × hidden × layers
/// (workspace), so a long window can take far more than the model itself.
public struct LearningMemory: Sendable, Equatable {
    public var ringBytes: Int
    public var workspaceBytes: Int
    public var weightBytes: Int
    public var recordBytes: Int
    public var totalBytes: Int { ringBytes + workspaceBytes + weightBytes + recordBytes }

    /// The shipped unit caps the daemon at MemoryMax=128M; sampling, SQLite and the rest take
    /// about 25 MiB (BENCHMARKS.md), so learning should stay under this.
    public static let shippedUnitBudget = 96 << 20

    public init(shape: LSTMShape, windowTicks: Int, policy: LearningPolicy = LearningPolicy()) {
        let float = MemoryLayout<Float>.stride
        let window = windowTicks * shape.features
        ringBytes = (2 * policy.capacityPerClass + 2 * (policy.holdoutCapacity / 2)) * window * float
        workspaceBytes = BatchHalves.floatCount(shape: shape, batch: policy.batch, windowTicks: windowTicks) * float
        weightBytes = 7 * shape.parameterCount * float
        // Per tick a timestamp, a label and two alert states; each verdict copies them once.
        let perTick = MemoryLayout<Double>.stride + MemoryLayout<Bool?>.stride + 2 * MemoryLayout<Bool>.stride
        recordBytes = 2 * WeightsReferee.Policy().recordTicks * perTick
    }

    public init(config: SurgeConfig) {
        self.init(shape: ModelCatalog.shape(config), windowTicks: config.window.ticks)
    }

    /// "about 5.9 MiB (labelled windows 2.4, training workspace 2.6, weights 0.4, alert record 0.5)".
    public var description: String {
        func mib(_ bytes: Int) -> String { NumberText.fixed(Double(bytes) / Double(1 << 20), decimals: 1) }
        return "about \(mib(totalBytes)) MiB (labelled windows \(mib(ringBytes)), training workspace \(mib(workspaceBytes)), weights \(mib(weightBytes)), alert record \(mib(recordBytes)))"
    }
}
