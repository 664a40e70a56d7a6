import SurgeConfig
import SurgeSampling

/// Model features and SLO-rule metrics that no tick has given since the start or reload,
/// said once with what that costs. The sources log why a value is missing (a kernel without
/// PSI, a metric an endpoint does not export), but not what it does downstream: on a host
/// without /proc/pressure (a kernel built or booted with PSI off) the default config's rule was
/// unknown at every calm tick, so no tick got a label and online learning never learned, and
/// the model read a training mean in place of CPU pressure; the daemon said nothing of either.
struct NeverSeenMetrics {
    private struct Watched {
        var name: String
        var column: Int
        var feature: Bool
        var rule: Bool
        var seen = false
    }

    private var watched: [Watched]
    /// The ticks looked at before saying anything: the first full window.
    private let checkAfter: Int
    private var ticks = 0
    private var unknownLabels = 0

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
        checkAfter = max(1, config.window.ticks)
    }

    /// One tick's sample and label; the warning, at the tick that ends the first full window,
    /// when a watched metric was missing at every tick until then.
    mutating func observe(_ sample: Sample, label: Bool?) -> String? {
        guard ticks < checkAfter else { return nil }
        ticks += 1
        if label == nil { unknownLabels += 1 }
        for index in watched.indices where !sample.values[watched[index].column].isNaN {
            watched[index].seen = true
        }
        guard ticks == checkAfter else { return nil }
        let missing = watched.filter { !$0.seen }
        guard !missing.isEmpty else { return nil }
        return Self.warning(missing: missing, ticks: ticks, unknownLabels: unknownLabels)
    }

    private static func warning(missing: [Watched], ticks: Int, unknownLabels: Int) -> String {
        let names = missing.map { metric in
            "\(metric.name) (\([metric.feature ? "a model feature" : nil, metric.rule ? "in [overload]" : nil].compactMap { $0 }.joined(separator: ", ")))"
        }
        var text = "\(names.joined(separator: ", ")) \(missing.count == 1 ? "has" : "have") been missing at every one of the first \(ticks) ticks"
        var costs: [String] = []
        if missing.contains(where: \.feature) {
            costs.append("the model reads a missing feature as its training mean, and online learning takes no window while one is missing")
        }
        if missing.contains(where: \.rule) {
            costs.append("the [overload] rule was unknown at \(unknownLabels) of those ticks: such ticks get no label, and online learning no target from them")
        }
        text += ": " + costs.joined(separator: "; ")
        if missing.contains(where: { $0.name.hasPrefix("psi_") }) {
            text += ". /proc/pressure is absent on a kernel built without PSI or booted with it off (CONFIG_PSI_DEFAULT_DISABLED, psi=0): psi=1 on the kernel command line turns it on"
        }
        return text + ". Otherwise leave them out of model.features and [overload] (with other features the daemon starts a fresh model that learns on this host)"
    }
}
