import SurgeSampling

/// Reads every source for one tick, concurrently, and lays their values side by side in one
/// `Sample` whose schema is the sources' metric names in configuration order.
public struct SampleCollector: Sendable {
    public let sources: [any MetricSource]
    public let schema: MetricSchema
    /// "host, probe api, ...": for logs and the stuck-tick message, named once.
    public let sourceList: String

    public init(sources: [any MetricSource]) {
        self.sources = sources
        schema = MetricSchema(sources.flatMap(\.metricNames))
        sourceList = sources.map(\.id).joined(separator: ", ")
    }

    public struct Collected: Sendable {
        public var sample: Sample
        /// Problems per source id, only for sources that had any.
        public var problems: [(source: String, problems: [SourceProblem])]
    }

    public func collect(tick: Int, timestamp: Double, monotonicSeconds: Double) async -> Collected {
        var readings = [SourceReading?](repeating: nil, count: sources.count)
        if sources.count == 1 {
            readings[0] = await sources[0].read(monotonicSeconds: monotonicSeconds)
        } else {
            await withTaskGroup(of: (Int, SourceReading).self) { group in
                for (index, source) in sources.enumerated() {
                    group.addTask { (index, await source.read(monotonicSeconds: monotonicSeconds)) }
                }
                for await (index, reading) in group { readings[index] = reading }
            }
        }
        var values: [Double] = []
        values.reserveCapacity(schema.count)
        var problems: [(String, [SourceProblem])] = []
        for (source, reading) in zip(sources, readings) {
            let reading = reading ?? SourceReading(values: [])
            // A source that returns the wrong number of values is a bug; keep the row aligned.
            if reading.values.count == source.metricNames.count {
                values += reading.values
            } else {
                values += [Double](repeating: .nan, count: source.metricNames.count)
            }
            if !reading.problems.isEmpty { problems.append((source.id, reading.problems)) }
        }
        return Collected(
            sample: Sample(timestamp: timestamp, tick: tick, schema: schema, values: values),
            problems: problems)
    }
}
