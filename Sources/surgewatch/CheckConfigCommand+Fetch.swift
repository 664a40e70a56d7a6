import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeSampling

extension CheckConfigCommand {
    /// `--fetch`: every application source read twice, `gap` apart (a rate needs two scrapes),
    /// as the daemon reads it, all at once as a tick reads them (a source that times out costs
    /// its timeout once, not once per source): "fetched prometheus shop: http_rps 10, ...", then
    /// what the reads said (a failure, or a notice such as a series not on the page), once each.
    /// The host source is left out: its figures are this host's, not the config's to try.
    static func fetched(_ config: SurgeConfig, gap: Duration = .seconds(1)) async -> [String] {
        let sources = SourceFactory.make(config).filter { !($0 is HostSource) }
        guard !sources.isEmpty else { return ["fetched: no application source to read"] }
        let first = await readAll(sources, at: 0)
        try? await Task.sleep(for: gap)
        let second = await readAll(sources, at: gap.seconds)
        var lines: [String] = []
        for (index, source) in sources.enumerated() {
            let values = zip(source.metricNames, second[index].values).map { name, value in
                "\(name) " + (value.isNaN ? "missing" : NumberText.short(value))
            }
            lines.append("fetched \(source.id): " + values.joined(separator: ", "))
            var seen = Set<String>()
            for problem in first[index].problems + second[index].problems where seen.insert(problem.message).inserted {
                lines.append("  \(problem.kind == .failure ? "failed" : "note"): \(problem.message)")
            }
        }
        return lines
    }

    private static func readAll(_ sources: [any MetricSource], at seconds: Double) async -> [SourceReading] {
        await withTaskGroup(of: (Int, SourceReading).self) { group in
            for (index, source) in sources.enumerated() {
                group.addTask { (index, await source.read(monotonicSeconds: seconds)) }
            }
            var readings = [SourceReading](repeating: SourceReading(values: []), count: sources.count)
            for await (index, reading) in group { readings[index] = reading }
            return readings
        }
    }
}
