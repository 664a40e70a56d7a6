import SurgeSampling

/// Stands in for an application source (probe, Prometheus, nginx, cgroup) that this build
/// accepts in its config but does not read yet: its metrics are missing, and the log says so
/// once, so configs written for the full daemon keep working and nothing pretends to be data.
public struct PendingSource: MetricSource {
    public let id: String
    public let metricNames: [String]

    public init(id: String, metricNames: [String]) {
        self.id = id
        self.metricNames = metricNames
    }

    public func read(monotonicSeconds: Double) async -> SourceReading {
        SourceReading(
            values: [Double](repeating: .nan, count: metricNames.count),
            problems: [SourceProblem(kind: .absentFeature, location: id,
                message: "source \(id) is not read by this build yet; its metrics stay missing")])
    }
}
