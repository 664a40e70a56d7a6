import Glibc
import SurgeDetection
import SurgeJournal
import SurgeSampling

/// The daemon's state after each tick as a file for node_exporter's textfile collector
/// (`[prometheus] textfile`), so a shop that already runs Prometheus and Alertmanager can graph
/// p(overload) and route surgewatch's alerts through the rules it has: a file, not a listening
/// port, so the hardened unit needs no new address family and the daemon no HTTP server.
public enum PrometheusTextfile {
    /// What one tick leaves to be seen.
    public struct State: Equatable, Sendable {
        public struct Learning: Equatable, Sendable {
            public var steps: Int
            public var rollbacks: Int
            public init(steps: Int, rollbacks: Int) { (self.steps, self.rollbacks) = (steps, rollbacks) }
        }

        public var timestamp: Double
        /// The run's tick count.
        public var tick: Int
        /// p(overload within the horizon); nil while warming up or blind.
        public var probability: Double?
        /// normal | warming_up | no_data | predicted | breached (`predictions.state`).
        public var state: String
        /// The SLO rule's verdict; nil when a metric it reads is missing.
        public var label: Bool?
        public var horizonSeconds: Double
        public var missingFeatures: Int
        public var sourceFailures: Int
        /// Online learning's figures; nil when it is off.
        public var learning: Learning?

        public init(timestamp: Double, tick: Int, probability: Double?, state: String, label: Bool?, horizonSeconds: Double,
                    missingFeatures: Int, sourceFailures: Int, learning: Learning?) {
            (self.timestamp, self.tick, self.probability, self.state, self.label) = (timestamp, tick, probability, state, label)
            (self.horizonSeconds, self.missingFeatures, self.sourceFailures, self.learning) = (horizonSeconds, missingFeatures, sourceFailures, learning)
        }
    }

    /// Each metric's `# HELP` and `# TYPE` lines, made once: only the values change by the tick.
    private static func header(_ name: String, _ type: String, _ help: String) -> String {
        "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }
    private static let probabilityHeader = header("surgewatch_overload_probability", "gauge",
        "p(overload within the horizon) after the last tick; absent while the window fills or every feature is missing.")
    private static let alertHeader = header("surgewatch_alert_open", "gauge",
        "1 while an alert of this kind is open after the last tick (a predicted alert that escalates becomes breached).")
    private static let breachedHeader = header("surgewatch_slo_breached", "gauge",
        "The [overload] rule's verdict at the last tick; absent when a metric it reads is missing.")
    private static let horizonHeader = header("surgewatch_horizon_seconds", "gauge", "How far ahead surgewatch_overload_probability looks.")
    private static let timestampHeader = header("surgewatch_last_tick_timestamp_seconds", "gauge", "When the last tick was taken (Unix seconds).")
    private static let ticksHeader = header("surgewatch_ticks_total", "counter", "Ticks this run of the daemon has taken.")
    private static let missingHeader = header("surgewatch_features_missing", "gauge", "Model features missing at the last tick.")
    private static let failuresHeader = header("surgewatch_source_failures_total", "counter",
        "Failed reads of the daemon's sources (and writes of its database and this file) this run.")
    private static let stepsHeader = header("surgewatch_learning_steps_total", "counter",
        "Online learning's steps on this host, counted on from the last checkpoint.")
    private static let rollbacksHeader = header("surgewatch_learning_rollbacks_total", "counter",
        "Online learning's rollbacks to the last good weights this run.")

    /// The text exposition format (0.0.4). A value that is not known (p while warming up, the
    /// rule's verdict with a metric missing) is left out rather than written as 0, as the
    /// daemon's own sources treat missing values; `absent()` in a rule sees it.
    public static func render(_ s: State) -> String {
        var text = ""
        text.reserveCapacity(2048)
        text += probabilityHeader
        if let p = s.probability { text += "surgewatch_overload_probability \(NumberText.exact(p))\n" }
        text += alertHeader
        text += "surgewatch_alert_open{kind=\"predicted\"} \(s.state == "predicted" ? 1 : 0)\n"
        text += "surgewatch_alert_open{kind=\"breached\"} \(s.state == "breached" ? 1 : 0)\n"
        text += breachedHeader
        if let label = s.label { text += "surgewatch_slo_breached \(label ? 1 : 0)\n" }
        text += horizonHeader + "surgewatch_horizon_seconds \(NumberText.exact(s.horizonSeconds))\n"
        text += timestampHeader + "surgewatch_last_tick_timestamp_seconds \(NumberText.exact(s.timestamp))\n"
        text += ticksHeader + "surgewatch_ticks_total \(s.tick)\n"
        text += missingHeader + "surgewatch_features_missing \(s.missingFeatures)\n"
        text += failuresHeader + "surgewatch_source_failures_total \(s.sourceFailures)\n"
        if let learning = s.learning {
            text += stepsHeader + "surgewatch_learning_steps_total \(learning.steps)\n"
            text += rollbacksHeader + "surgewatch_learning_rollbacks_total \(learning.rollbacks)\n"
        }
        return text
    }

    /// Writes `text` to `path` through a temporary file beside it and a rename, so the
    /// collector never reads half a file (its name does not end in .prom, so it is not read).
    /// Returns what went wrong, or nil.
    public static func write(_ text: String, to path: String) -> String? {
        // Readable by the collector's user: the unit's UMask=0077 would make it 0600.
        guard let failure = replaceFile(path, with: Array(text.utf8)) else { return nil }
        return failure.description + (failure.isNotPermitted ? "; " + unitAdvice : "")
    }

    /// Where the shipped unit may write: a directory elsewhere is read-only to it
    /// (ProtectSystem=strict) and not its dynamic user's.
    public static let unitAdvice = "the shipped unit writes only its own /run/surgewatch (ProtectSystem=strict, DynamicUser=yes): "
        + "point node_exporter's --collector.textfile.directory there, or give the unit this directory in a drop-in (ReadWritePaths=)"

    /// Removes the file when the daemon stops or the key is turned off: its gauges describe a
    /// running daemon, and a stale file would say an alert is open long after.
    public static func remove(_ path: String) {
        unlink(path)
    }
}

/// Where the tick loop's textfile is, across reloads: a reload that moves or drops
/// `[prometheus] textfile` removes the file it left, and a stop removes the last.
struct TextfileTarget {
    /// The name failures are logged and counted under, as a source's are.
    static let source = "prometheus textfile"
    private(set) var written: String?

    /// Writes `state` to `path` (nil: none); what went wrong, or nil.
    mutating func show(_ state: PrometheusTextfile.State, at path: String?) -> String? {
        if let written, written != path {
            PrometheusTextfile.remove(written)
            self.written = nil
        }
        guard let path else { return nil }
        if let failure = PrometheusTextfile.write(PrometheusTextfile.render(state), to: path) { return failure }
        written = path
        return nil
    }

    mutating func stop() {
        if let written { PrometheusTextfile.remove(written) }
        written = nil
    }
}
