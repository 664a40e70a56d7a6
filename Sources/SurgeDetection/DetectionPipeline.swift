import SurgeSampling

/// What `run`, `replay` and `train` feed each sample into. Today it keeps the window and
/// reports how complete the model's input is; the LSTM, labels and alerts join it here so that
/// every entry point runs the same steps in the same order.
public struct DetectionPipeline: Sendable {
    public private(set) var window: SampleWindow
    public let features: [String]
    /// Column of each feature in the window's schema (nil: no source provides it).
    public let featureColumns: [Int?]

    public init(schema: MetricSchema, windowTicks: Int, features: [String]) {
        self.init(window: SampleWindow(schema: schema, capacity: windowTicks), features: features)
    }

    private init(window: SampleWindow, features: [String]) {
        self.window = window
        self.features = features
        featureColumns = features.map { window.schema.index(of: $0) }
    }

    public mutating func ingest(_ sample: Sample) -> TickOutcome {
        window.append(sample)
        let newest = window.count - 1
        let missing = featureColumns.reduce(0) { count, column in
            guard let column else { return count + 1 }
            return count + (window.value(row: newest, column: column).isNaN ? 1 : 0)
        }
        return TickOutcome(windowFill: window.count, windowTicks: window.capacity, missingFeatures: missing)
    }

    /// The same history under a new configuration (SIGHUP): rows are kept, columns re-mapped.
    public func reconfigured(schema: MetricSchema, windowTicks: Int, features: [String]) -> DetectionPipeline {
        DetectionPipeline(window: window.rebuilt(schema: schema, capacity: windowTicks), features: features)
    }
}

public struct TickOutcome: Sendable, Equatable {
    public var windowFill: Int
    public var windowTicks: Int
    /// Features missing in this tick's sample.
    public var missingFeatures: Int
}
