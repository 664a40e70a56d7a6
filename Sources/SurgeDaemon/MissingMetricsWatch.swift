import SurgeConfig
import SurgeSampling

/// Model features and SLO-rule metrics missing for a whole window of ticks in a row, said
/// once per outage with what it costs, and again when they are back. The sources log why a
/// value is missing (a kernel without PSI, a metric an endpoint stopped exporting), but not
/// what it does downstream: on a host without /proc/pressure (a kernel built or booted with PSI
/// off) the default config's rule was unknown at every calm tick, so no tick got a label and
/// online learning never learned, and the model read a training mean in place of CPU
/// pressure; the daemon said nothing of either.
struct MissingMetricsWatch {
    enum Level: Equatable { case warning, notice }

    private struct Watched {
        var name: String
        var column: Int
        var feature: Bool
        var rule: Bool
        /// Ticks in a row it has been missing.
        var missingRun = 0
        var said = false
    }

    private var watched: [Watched]
    private let learnsOnline: Bool
    /// An outage is said once it lasts this many ticks: a window, past which every window the
    /// model reads holds the metric imputed.
    private let sayAfter: Int
    /// The rule's verdict being unknown, for the last `sayAfter` ticks (a ring).
    private var unknownLabels: [Bool]
    private var ticks = 0

    /// Leaves out the metrics already warned about at start (netlink ones off /proc).
    init(config: SurgeConfig, schema: MetricSchema) {
        let saidElsewhere = config.netlinkMetricsLeftMissing
        var watched: [Watched] = []
        for name in config.model.features + config.overloadMetrics where !saidElsewhere.contains(name) {
            guard let column = schema.index(of: name), !watched.contains(where: { $0.name == name }) else { continue }
            watched.append(Watched(name: name, column: column, feature: config.model.features.contains(name),
                                   rule: config.overloadMetrics.contains(name)))
        }
        self.watched = watched
        learnsOnline = config.learning.online
        sayAfter = max(1, config.window.ticks)
        unknownLabels = [Bool](repeating: false, count: sayAfter)
    }

    /// One tick's sample and label; what to log about it (usually nothing).
    mutating func observe(_ sample: Sample, label: Bool?) -> [(level: Level, text: String)] {
        unknownLabels[ticks % sayAfter] = label == nil
        ticks += 1
        var back: [String] = []
        var gone: [Watched] = []
        for index in watched.indices {
            if sample.values[watched[index].column].isNaN {
                watched[index].missingRun += 1
                if watched[index].missingRun == sayAfter {
                    watched[index].said = true
                    gone.append(watched[index])
                }
            } else {
                if watched[index].said { back.append("\(watched[index].name) after \(watched[index].missingRun) ticks") }
                watched[index].missingRun = 0
                watched[index].said = false
            }
        }
        var messages: [(level: Level, text: String)] = []
        if !gone.isEmpty {
            messages.append((.warning, Self.warning(missing: gone, ticks: sayAfter, sinceStart: ticks == sayAfter,
                                                    unknownLabels: unknownLabels.filter { $0 }.count, learnsOnline: learnsOnline)))
        }
        if !back.isEmpty {
            messages.append((.notice, "given again: \(back.joined(separator: ", ")) missing"))
        }
        return messages
    }

    private static func warning(missing: [Watched], ticks: Int, sinceStart: Bool, unknownLabels: Int, learnsOnline: Bool) -> String {
        let names = missing.map { metric in
            "\(metric.name) (\([metric.feature ? "a model feature" : nil, metric.rule ? "in [overload]" : nil].compactMap { $0 }.joined(separator: ", ")))"
        }
        let when = sinceStart ? "every one of the first \(ticks) ticks" : "each of the last \(ticks) ticks"
        var text = "\(names.joined(separator: ", ")) \(missing.count == 1 ? "has" : "have") been missing at \(when)"
        var costs: [String] = []
        if missing.contains(where: \.feature) {
            costs.append("the model reads a missing feature as its training mean"
                         + (learnsOnline ? ", and online learning takes no window while one is missing" : ""))
        }
        if missing.contains(where: \.rule) {
            costs.append("the [overload] rule was unknown at \(unknownLabels) of those ticks: such ticks get no label"
                         + (learnsOnline ? ", and online learning no target from them" : ""))
        }
        text += ": " + costs.joined(separator: "; ")
        if missing.contains(where: { HostMetric.pressureFile(of: $0.name) != nil }) {
            return text + ". /proc/pressure is absent, or refuses reads, on \(HostSampler.pressureAbsentReason); \(SurgeConfig.withoutPSIAdvice)"
        }
        guard sinceStart else { return text + " (the source's own messages say why)" }
        return text + ". Otherwise leave them out of model.features and [overload] (with other features the daemon starts a fresh model that learns on this host)"
    }
}
