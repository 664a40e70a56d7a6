import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeSampling

extension CheckConfigCommand {
    /// `--fetch`: every application source read twice, `gap` apart (a rate needs two scrapes),
    /// as the daemon reads it: "fetched prometheus shop: http_rps 10, http_p99_ms 750", then
    /// what the reads said (a failure, or a notice such as a series not on the page), once each.
    /// The host source is left out: its figures are this host's, not the config's to try.
    static func fetched(_ config: SurgeConfig, gap: Duration = .seconds(1)) async -> [String] {
        let sources = SourceFactory.make(config).filter { !($0 is HostSource) }
        guard !sources.isEmpty else { return ["fetched: no application source to read"] }
        let clock = ContinuousClock()
        let start = clock.now
        func seconds() -> Double { (clock.now - start).seconds }
        var said: [[SourceProblem]] = []
        for source in sources { said.append(await source.read(monotonicSeconds: seconds()).problems) }
        try? await Task.sleep(for: gap)
        var lines: [String] = []
        for (index, source) in sources.enumerated() {
            let reading = await source.read(monotonicSeconds: seconds())
            let values = zip(source.metricNames, reading.values).map { name, value in
                "\(name) " + (value.isNaN ? "missing" : NumberText.short(value))
            }
            lines.append("fetched \(source.id): " + values.joined(separator: ", "))
            var seen = Set<String>()
            for problem in said[index] + reading.problems where seen.insert(problem.message).inserted {
                lines.append("  \(problem.kind == .failure ? "failed" : "note"): \(problem.message)")
            }
        }
        return lines
    }
}
