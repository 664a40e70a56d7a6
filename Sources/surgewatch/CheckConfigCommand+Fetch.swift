import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeSampling

extension CheckConfigCommand {
    /// `--fetch`: every application source read twice, `gap` apart (a rate needs two scrapes),
    /// by the daemon's own collector, all at once as a tick reads them: "fetched prometheus
    /// shop: http_rps 10, ...", then what the reads said (a failure, or a notice such as a
    /// series not on the page), once each. The host source is left out: its figures are this
    /// host's, not the config's to try.
    static func fetched(_ config: SurgeConfig, gap: Duration = .seconds(1)) async -> [String] {
        let collector = SampleCollector(sources: SourceFactory.make(config).filter { !($0 is HostSource) })
        guard !collector.sources.isEmpty else { return ["fetched: no application source to read"] }
        let first = await collector.collect(tick: 1, timestamp: 0, monotonicSeconds: 0)
        try? await Task.sleep(for: gap)
        let second = await collector.collect(tick: 2, timestamp: gap.seconds, monotonicSeconds: gap.seconds)
        var lines: [String] = []
        for source in collector.sources {
            let values = source.metricNames.map { name in "\(name) " + (second.sample.value(name).map(NumberText.short) ?? "missing") }
            lines.append("fetched \(source.id): " + values.joined(separator: ", "))
            let said = (first.problems + second.problems).filter { $0.source == source.id }.flatMap(\.problems)
            var seen = Set<String>()
            for problem in said where seen.insert(problem.message).inserted {
                lines.append("  \(problem.kind == .failure ? "failed" : "note"): \(problem.message)")
            }
        }
        return lines
    }

    /// `--fetch` with `[alertmanager]`: each Alertmanager asked for its status (nothing is posted,
    /// so no receiver hears of the check).
    static func alertmanagersAsked(_ config: SurgeConfig) async -> [String] {
        var lines: [String] = []
        for (url, answer) in await AlertmanagerStatus.ask(config.alertmanager) {
            switch answer {
            case .success(let version):
                lines.append("alertmanager \(url): answers" + (version.map { " (Alertmanager \($0))" } ?? " (not an Alertmanager's status page?)"))
            case .failure(let error):
                lines.append("alertmanager \(url): failed: \(error)")
            }
        }
        return lines
    }
}
