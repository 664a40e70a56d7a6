import SurgeModel
import SurgeSampling

/// The model's half of a tick: the tick's feature values scaled into a ring of the last T
/// rows, then p(overload) from one window forward once the ring is full. `DetectionPipeline`
/// runs it on every tick; replay with learning off also runs a second one on another thread
/// ahead of the pipeline (`ReplayRunner`), which gives the same numbers because it does the
/// same steps on the same values.
struct WindowPredictor {
    let scaler: FeatureScaler
    /// Column of each feature in the samples' schema (nil: no source provides it).
    let featureColumns: [Int?]
    private(set) var inputs: ModelInputWindow
    /// The window oldest first, [T × F], as the model reads it.
    var windowInput: [Float]
    private let workspace: LSTMWorkspace
    private var raw: [Double]

    /// `levels`: the host levels to go on from (`HostLevels`; nil: fresh ones, or none for a
    /// model that reads no level).
    init(features: [FeatureScaler.Scaling], schema: MetricSchema, windowTicks: Int, shape: LSTMShape, levels: HostLevels? = nil) {
        let scaler = FeatureScaler(features)
        self.scaler = scaler
        featureColumns = features.map { schema.index(of: $0.name) }
        inputs = ModelInputWindow(featureCount: features.count, capacity: windowTicks,
                                  levels: levels.flatMap { $0.fits(scaler) ? $0 : nil })
        windowInput = [Float](repeating: 0, count: windowTicks * features.count)
        workspace = LSTMWorkspace(shape: shape, batch: 1, steps: windowTicks)
        raw = [Double](repeating: .nan, count: features.count)
    }

    /// Missing features in the row just pushed.
    private(set) var missing = 0

    /// Pushes one tick's features; `value(column)` reads the tick's raw value of a schema column
    /// as the sample window stores it (Float, NaN when missing).
    @discardableResult
    mutating func push(_ value: (Int) -> Float) -> ModelInputWindow.RowFill {
        missing = 0
        for (index, column) in featureColumns.enumerated() {
            raw[index] = column.map { Double(value($0)) } ?? .nan
            if raw[index].isNaN { missing += 1 }
        }
        return inputs.push(raw: raw, scaler: scaler)
    }

    /// p(overload) of the window held now; nil until it is full.
    mutating func predict(_ model: LSTMClassifier) -> Double? {
        guard inputs.isFull else { return nil }
        windowInput.withUnsafeMutableBufferPointer { inputs.copyOrdered(into: $0) }
        model.forward(windowInput, workspace: workspace)
        return Double(workspace.probabilities[1])
    }

    /// p(overload) of the window held now under `model`, which has the LSTM layers of the
    /// model `predict` ran last, on this window: its head alone on their hidden state.
    mutating func predictHead(_ model: LSTMClassifier) -> Double? {
        guard inputs.isFull else { return nil }
        model.forwardHead(workspace: workspace)
        return Double(workspace.probabilities[1])
    }

    /// Ticks a predictor must see before `row` so that its prediction there equals one that saw
    /// every earlier tick: the window, and the carry-forward of gaps reaching back from it.
    static func warmUpTicks(windowTicks: Int, carryTicks: Int) -> Int { windowTicks + carryTicks + 1 }
}
