import SurgeSampling

/// The whole configuration, with the built-in default of every key. This file is the one place
/// that lists every key; `config/surgewatch.toml` documents the same keys for operators, and
/// `ConfigLoader` rejects any key not listed here.
public struct SurgeConfig: Equatable, Sendable {
    public var sampling = Sampling()
    public var window = Window()
    public var model = Model()
    public var learning = Learning()
    public var overload = Overload()
    public var alert = Alert()
    public var schedule = Schedule()
    public var store = Store()
    public var sources = Sources()
    public var journal = Journal()
    public var prometheus = PrometheusOutput()
    public var alertmanager = Alertmanager()

    public init() {}

    public struct Sampling: Equatable, Sendable {
        /// `interval`: time between ticks, 1s ... 5m.
        public var interval: Duration = .seconds(10)
        /// `proc_root`: where /proc is mounted; tests point it at fixture trees.
        public var procRoot = "/proc"
        /// `cgroup_root`: where the cgroup file system is mounted, for `[[sources.cgroup]]`.
        public var cgroupRoot = "/sys/fs/cgroup"
    }

    public struct Window: Equatable, Sendable {
        /// `ticks`: ring-buffer length, the LSTM's input window, 2 ... 2880.
        public var ticks = 30
    }

    public struct Model: Equatable, Sendable {
        /// `features`: metric names the model reads, in this order.
        public var features = ["cpu_busy", "load1", "psi_cpu_some_avg10", "tcp_established", "tcp_listen_queue_ratio"]
        /// `horizon_ticks`: predict overload within the next H ticks (0 = now), 0 ... 360.
        public var horizonTicks = 3
        /// `hidden`: LSTM hidden size, 1 ... 512.
        public var hidden = 32
        /// `layers`: stacked LSTM layers, 1 ... 8.
        public var layers = 2
        /// `path`: model file; absent = the built-in default model for the default features.
        /// Relative paths are under the state directory.
        public var path: String?
    }

    public struct Learning: Equatable, Sendable {
        /// `online`: learn from delayed labels while running.
        public var online = true
        /// `min_windows_per_class`: no learning before this many labelled windows of each class.
        public var minimumWindowsPerClass = 64
        /// `step_every_ticks`: one Adam mini-batch every this many ticks.
        public var stepEveryTicks = 10
        /// `rate`: Adam's learning rate; nil = 3e-5 for a trained model (it adjusts), 1e-3 for a
        /// fresh one (it has everything to learn).
        public var rate: Double?
        /// `layers`: what online learning moves in a trained model (the built-in one, a model
        /// file, a checkpoint of either). A fresh model learns every layer whatever this says.
        public var layers = Layers.output

        public enum Layers: String, Equatable, Sendable, CaseIterable {
            /// The output layer only: the LSTM layers keep what offline training learned, the
            /// host's labels move the decision read from them.
            case output
            /// Every layer: for a host the trained model does not fit, whose features it must relearn.
            case all
        }
    }

    public struct Overload: Equatable, Sendable {
        /// `any`: the SLO is broken when any of these holds ...
        public var any: [OverloadCondition] = [
            OverloadCondition(metric: "tcp_listen_overflows_per_s", comparison: .greater, threshold: 0),
            OverloadCondition(metric: "psi_cpu_some_avg10", comparison: .greater, threshold: 50),
        ]
        /// `all`: ... or when all of these hold (if given).
        public var all: [OverloadCondition] = []
        /// The metrics the rule reads, each once, in name order (the columns a trace must give it).
        public var metrics: [String] { Array(Set((any + all).map(\.metric))).sorted() }
        /// `for_ticks`: the rule must hold this many ticks in a row, 1 ... 1000.
        public var forTicks = 1

        /// The built-in rule.
        public init() {}

        public init(any: [OverloadCondition], all: [OverloadCondition] = [], forTicks: Int = 1) {
            (self.any, self.all, self.forTicks) = (any, all, forTicks)
        }
    }

    public struct Alert: Equatable, Sendable {
        /// `fire_probability`: p(overload) at or above which a predicted alert may fire. 0.95
        /// since session 46 (0.9 since session 34): with flash sales announced (`[schedule]`),
        /// the `fire_after = 2` policy, with `fire_at_once_probability` 0.96, under which most
        /// validation traces met every target (BENCHMARKS.md, "A firmer fire threshold now
        /// that sales are announced").
        public var fireProbability = 0.95
        /// `resolve_probability`: p(overload) below which an alert may resolve. A wide band:
        /// p dips between the bursts of a hot spell, and an alert resolving at 0.5 closed in
        /// each dip and fired again, a false alarm whenever no breach followed. 0.2 was chosen
        /// on the training traces (BENCHMARKS.md, "The resolve threshold").
        public var resolveProbability = 0.2
        /// `fire_after`: ticks p must stay at or above fire_probability, 1 ... 100.
        public var fireAfter = 2
        /// `fire_at_once_probability`: p(overload) at or above which a predicted alert fires
        /// without waiting for `fire_after` ticks; 1 turns that off. 0.96 since session 46
        /// (0.95 before), chosen with `fire_probability`.
        public var fireAtOnceProbability = 0.96
        /// `fire_on_leap_probability`: p(overload) at or above which a predicted alert fires at
        /// once when the tick before was calm (p below resolve_probability): a flash sale's
        /// surge makes p leap in one tick where a growing crowd makes it climb. 1 turns it off
        /// (the default; BENCHMARKS.md, session 19, for what it costs and buys).
        public var fireOnLeapProbability = 1.0
        /// `fire_on_pending_probability`: with `[overload] for_ticks` ≥ 2, p(overload) at or
        /// above which a predicted alert fires on a tick where the rule's condition has held
        /// `for_ticks` − 1 ticks in a row: the SLO breaks on the next tick if the condition holds
        /// once more, and the model says whether it will. 1 turns it off (the default).
        public var firePendingProbability = 1.0
        /// `resolve_after`: ticks p must stay below resolve_probability, 1 ... 1000.
        public var resolveAfter = 3
        /// `settle_probability`: an open alert also resolves once p has stayed below this for
        /// `settle_after` ticks in a row (and the rule has not held): the wide band keeps one
        /// alert through a hot spell, and this closes it when the spell has passed but p still
        /// hovers above resolve_probability, as a shop model's p does for hours under heavy
        /// but served load. 0 turns it off (the default; BENCHMARKS.md, "A long alert settles").
        public var settleProbability = 0.0
        /// `settle_after`: ticks p must stay below settle_probability, more than resolve_after
        /// (read only when settle_probability is set, so that setting that to 0 turns it off).
        public var settleAfter = 60

        /// Whether `settle_probability` lies inside the band from `resolve` up to `fire`, the
        /// only place it can close an alert the band holds open (`check-config` asks it of the
        /// config's own band, the policy grids of each band they score).
        public func settleFits(resolve: Double, fire: Double) -> Bool {
            settleProbability > resolve && settleProbability < fire
        }
        /// `hold`: conditions in the rule's syntax ("cpu_busy >= 0.75"); an open alert does
        /// not resolve while any of them holds. Empty by default: the level is the host's own,
        /// chosen on its history like a threshold (BENCHMARKS.md, session 13).
        public var hold: [OverloadCondition] = []

        /// When a predicted alert fires, in words: "fire at p >= 0.95 for 2 ticks or 0.96 once",
        /// and ", held while cpu_busy >= 0.75" with a hold.
        public var firing: String {
            let atOnce = fireAtOnceProbability < 1 ? " or \(fireAtOnceProbability) once" : ""
            let leap = fireOnLeapProbability < 1 ? " or \(fireOnLeapProbability) straight after p < \(resolveProbability)" : ""
            let pending = firePendingProbability < 1 ? " or \(firePendingProbability) a tick before the rule holds" : ""
            let held = hold.isEmpty ? "" : ", held while " + hold.map(\.description).joined(separator: " or ")
            return "fire at p >= \(fireProbability) for \(fireAfter) ticks\(atOnce)\(leap)\(pending)\(held)"
        }

        /// The whole policy in words, as `train`, `check-config` and the referee's record name
        /// it: `firing`, then `alsoFiring` (an announced sale's window), then the resolve band.
        public func described(alsoFiring: String = "") -> String {
            let settle = settleProbability > 0 ? " or below \(settleProbability) for \(settleAfter) ticks" : ""
            return "\(firing)\(alsoFiring), resolve below \(resolveProbability) for \(resolveAfter) ticks\(settle)"
        }
    }

    /// `[schedule]`: announced flash sales. A sale's crowd arrives on the minute it starts,
    /// often within one tick, so the metrics alone warn of it late or not at all; told when it
    /// starts, the alert fires at a lower p just before and on that tick (BENCHMARKS.md,
    /// "Announced sales").
    public struct Schedule: Equatable, Sendable {
        /// `sales`: when each announced sale starts.
        public var sales: [SaleTime] = []
        /// `lead`: how long before a sale's start its lower threshold applies, 0s ... 2h.
        public var lead: Duration = .seconds(600)
        /// `fire_probability`: within a sale's window a predicted alert fires at once at p at
        /// or above this (chosen on validation traces, BENCHMARKS.md).
        public var fireProbability = 0.7
        /// `fire_when`: conditions in the rule's syntax ("cpu_busy >= 0.3"); on the last tick
        /// before each start (inside the window, so `lead` must reach a tick back) a predicted
        /// alert fires at once when any of them holds, whatever p. Empty by default: the level
        /// is the host's own (BENCHMARKS.md, session 36).
        public var fireWhen: [OverloadCondition] = []
        /// `lasts`: how long after its start a sale's crowd counts as the sale's, for the
        /// record's account of each sale (`alerts --record`, `replay`), 1m ... 12h. Alerts do
        /// not read it.
        public var lasts: Duration = .seconds(1800)

        public init(sales: [SaleTime] = [], lead: Duration = .seconds(600), fireProbability: Double = 0.7,
                    fireWhen: [OverloadCondition] = [], lasts: Duration = .seconds(1800)) {
            (self.sales, self.lead, self.fireProbability, self.fireWhen, self.lasts) = (sales, lead, fireProbability, fireWhen, lasts)
        }
    }

    public struct Store: Equatable, Sendable {
        /// `path`: the SQLite file; relative paths are under the state directory.
        public var path = "surgewatch.db"
        /// `retention`: rows older than this are pruned, 1h ... 3650d.
        public var retention: Duration = .seconds(30 * 86400)
    }

    public struct Sources: Equatable, Sendable {
        /// `host`: the /proc metrics.
        public var host = true
        /// `listen_ports`: the local ports of the listening sockets whose accept queues
        /// tcp_listen_queued and tcp_listen_queue_ratio count (the shop's, on a host that runs
        /// other services too); empty: every listener.
        public var listenPorts: [Int] = []
        public var probes: [Probe] = []
        public var prometheus: [Prometheus] = []
        public var nginx: [Nginx] = []
        public var cgroups: [Cgroup] = []
    }

    /// `[[sources.probe]]`: GET `url` each tick.
    public struct Probe: Equatable, Sendable {
        public var name: String?
        public var url: String
        public var timeout: Duration = .seconds(2)
        public var request = HTTPRequest()
    }

    /// `[[sources.prometheus]]`: scrape `url`, derive the named `metrics`.
    public struct Prometheus: Equatable, Sendable {
        public var name: String?
        public var url: String
        public var timeout: Duration = .seconds(2)
        public var request = HTTPRequest()
        /// metric name -> expression, in file order.
        public var metrics: [NamedExpression] = []
    }

    /// How an HTTP source makes its request, beside its URL: the keys every HTTP source takes.
    public struct HTTPRequest: Equatable, Sendable {
        /// `headers` and `header_files`, in file order.
        public var headers: [HTTPHeader] = []
        /// `connect_to`: "host:port" connected to instead of the URL's, whose name still goes
        /// in the Host header, the TLS server name and the certificate check (curl's --connect-to).
        public var connectTo: String?
        /// `unix_socket`: the path of the socket the server listens on, connected to in place of
        /// the URL's host and port, whose name still goes in the Host header.
        public var unixSocket: String?
        /// `tls_ca_file`: PEM certificates to trust for https (a private CA's), in place of the
        /// bundle file libcurl was built with.
        public var caFile: String?
        /// `follow_redirects`: a 3xx to the URL's own host is followed (up to 5, within the
        /// timeout); off, a probe times the redirect itself, and a scrape fails on it.
        public var followRedirects = false
        /// `tls_cert_file` and `tls_key_file`: shown to an https server that asks (mutual TLS).
        public var clientCertificate: ClientCertificate?

        public init(headers: [HTTPHeader] = [], connectTo: String? = nil, unixSocket: String? = nil, caFile: String? = nil,
                    followRedirects: Bool = false, clientCertificate: ClientCertificate? = nil) {
            self.headers = headers
            self.connectTo = connectTo
            self.unixSocket = unixSocket
            self.caFile = caFile
            self.followRedirects = followRedirects
            self.clientCertificate = clientCertificate
        }

        /// What the request does beside a plain GET, for check-config, never a header's value:
        /// "at 127.0.0.1:443, headers Host, Authorization (from /etc/surgewatch/token)".
        public var described: String? {
            var parts: [String] = []
            if let connectTo { parts.append("at \(connectTo)") }
            if let unixSocket { parts.append("at unix:\(unixSocket)") }
            if !headers.isEmpty {
                parts.append("headers " + headers.map { header in header.file.map { "\(header.name) (from \($0))" } ?? header.name }
                    .joined(separator: ", "))
            }
            if let caFile { parts.append("trusting \(caFile)") }
            if let clientCertificate {
                parts.append("client certificate \(clientCertificate.certificate)" + (clientCertificate.key.map { " (key \($0))" } ?? ""))
            }
            if followRedirects { parts.append("following redirects on its host") }
            return parts.isEmpty ? nil : parts.joined(separator: ", ")
        }
    }

    /// The client certificate of mutual TLS: its file, and the key's when not in the same file.
    public struct ClientCertificate: Equatable, Sendable {
        public var certificate: String
        public var key: String?

        public init(certificate: String, key: String? = nil) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// A request header an HTTP source sends (`headers = { Host = "shop.example.com" }`): a
    /// name-based virtual host answers a probe of 127.0.0.1 only with its own name.
    public struct HTTPHeader: Equatable, Sendable {
        public var name: String
        public var value: String
        /// The file the value was read from (`header_files`), nil when written in the config.
        public var file: String?

        public init(name: String, value: String, file: String? = nil) {
            self.name = name
            self.value = value
            self.file = file
        }
    }

    public struct NamedExpression: Equatable, Sendable {
        public var name: String
        public var expression: String
    }

    /// `[[sources.nginx]]`: stub_status at `url`.
    public struct Nginx: Equatable, Sendable {
        public var name: String?
        public var url: String
        public var timeout: Duration = .seconds(2)
        public var request = HTTPRequest()
    }

    /// `[[sources.cgroup]]`: cgroup v2 figures of a systemd unit.
    public struct Cgroup: Equatable, Sendable {
        public var name: String?
        public var unit: String
    }

    public struct Journal: Equatable, Sendable {
        /// `identifier`: SYSLOG_IDENTIFIER of alert entries.
        public var identifier = "surgewatch"
    }

    /// `[prometheus]`: what the daemon gives Prometheus (not `[[sources.prometheus]]`, what it reads).
    public struct PrometheusOutput: Equatable, Sendable {
        /// `textfile`: the `.prom` file the daemon rewrites after each tick with its state
        /// (p, open alert, SLO verdict, ...) for node_exporter's textfile collector; nil (the
        /// key empty or absent): none.
        public var textfile: String?
    }

    /// `[alertmanager]`: Alertmanagers that get each alert as it fires, escalates and resolves,
    /// straight from the daemon, so a warning reaches them with its lead intact (the textfile's
    /// way adds a scrape and a rule evaluation first).
    public struct Alertmanager: Equatable, Sendable {
        /// `urls`: each Alertmanager's address ("http://127.0.0.1:9093", with the path prefix it
        /// is served under, if any); every one gets every alert, as Prometheus sends to each
        /// member of an HA cluster. Empty (the default): none.
        public var urls: [String] = []
        /// `timeout`: for one POST; a slow Alertmanager holds up no tick, only its own retries.
        public var timeout: Duration = .seconds(5)
        /// `resend`: how often an open alert is sent again; it is sent valid for four of these,
        /// so an Alertmanager resolves it on its own when surgewatch stops sending (a crash).
        public var resend: Duration = .seconds(60)
        /// `labels`: added to every alert's labels, for the Alertmanager's routes ("team", "env").
        public var labels: [AlertmanagerLabel] = []
        /// The HTTP sources' keys beside url and timeout (`headers`, `header_files`, `tls_*`).
        public var request = HTTPRequest()

        public init() {}

        /// Label names the daemon sets itself: each alert's identity in the Alertmanager.
        public static let reservedLabels: [String: String] = [
            "alertname": "OverloadPredicted or OverloadBreached, as config/prometheus-alerts.yml names them",
            "severity": "warning for a predicted alert, critical for a breach",
            "test": "\"true\" on `surgewatch test-alert`'s alerts, so they never stand for a real one",
        ]

        /// For check-config: "alerts pushed to http://127.0.0.1:9093/api/v2/alerts (headers
        /// Authorization), labels team="shop", resent every 1m"; nil when none is named.
        public var described: String? {
            guard !urls.isEmpty else { return nil }
            var text = "alerts pushed to " + endpoints.joined(separator: ", ")
            if let options = request.described { text += " (\(options))" }
            if !labels.isEmpty { text += ", labels " + labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ", ") }
            return text + ", resent every \(DurationText.format(resend))"
        }

        /// Where alerts are posted: Alertmanager's API v2 under each address.
        public var endpoints: [String] {
            urls.map { url in
                let base = url.hasSuffix("/") ? String(url.dropLast()) : url
                return base.hasSuffix("/api/v2/alerts") ? base : base + "/api/v2/alerts"
            }
        }
    }

    public struct AlertmanagerLabel: Equatable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }
}

extension SurgeConfig {
    /// Every metric the enabled sources provide, in the order ticks will carry them.
    public var providedMetrics: [String] {
        var names: [String] = []
        if sources.host { names += HostMetric.names }
        for probe in sources.probes { names += ApplicationMetric.prefixed(ApplicationMetric.probe, by: probe.name) }
        for endpoint in sources.prometheus {
            names += ApplicationMetric.prefixed(endpoint.metrics.map(\.name), by: endpoint.name)
        }
        for server in sources.nginx { names += ApplicationMetric.prefixed(ApplicationMetric.nginx, by: server.name) }
        for group in sources.cgroups { names += ApplicationMetric.prefixed(ApplicationMetric.cgroup, by: group.name) }
        return names
    }

    /// Where PSI cannot be turned on: the config made for such hosts, which has a built-in model.
    public static let withoutPSIAdvice = "where PSI cannot be turned on, use without-psi.toml (config/ in the source, "
        + "share/doc/surgewatch/ when installed): the features and rule of a built-in model made for such hosts"

    /// Conditions that hold on every tick or on none if their metric keeps to its name's
    /// convention (a `_ratio` from 0 to 1), which a metric the daemon does not compute may not
    /// do: said as warnings, where one the daemon computes is refused (`MetricScale`).
    public var conditionCautions: [String] {
        [("overload.any", overload.any), ("overload.all", overload.all), ("alert.hold", alert.hold), ("schedule.fire_when", schedule.fireWhen)]
            .flatMap { key, conditions in
                conditions.enumerated().compactMap { offset, condition -> String? in
                    guard !MetricScale.isComputedHere(condition.metric), let vacuity = MetricScale.vacuity(of: condition) else { return nil }
                    return "\(key)[\(offset)]: \(vacuity)"
                }
            }
    }

    /// Rule and feature metrics whose query is missing while a labelled counter has no series
    /// yet: a shop's error ratio over `code=~"5.."` before its first 5xx, which left the SLO
    /// rule unknown on every calm tick (session 63). check-config prints them as warnings.
    public var queryCautions: [String] {
        let read = Set(model.features + overloadMetrics)
        return sources.prometheus.enumerated().flatMap { index, endpoint in
            endpoint.metrics.compactMap { metric -> String? in
                let provided = ApplicationMetric.prefixed([metric.name], by: endpoint.name)[0]
                guard read.contains(provided), let query = try? PrometheusQuery.parse(metric.expression),
                      let selector = query.labelledRatesWithoutFallback.first else { return nil }
                return "sources.prometheus[\(index)].metrics.\(metric.name): \(provided) is missing while no series matches "
                    + "\(selector.text), as before a shop's first 5xx (client libraries make a labelled series at its first "
                    + "count), and the [overload] rule and the model read it so; where none means zero, write 'rate(...) or 0'"
            }
        }
    }

    /// Metrics the SLO rule reads.
    public var overloadMetrics: [String] {
        (overload.any + overload.all).map(\.metric)
    }

    /// Features and rule metrics that will stay missing because they come from netlink, which
    /// the host source reads only when `proc_root` is /proc (a fixture tree or another host's
    /// /proc is not the namespace netlink answers for).
    public var netlinkMetricsLeftMissing: [String] {
        guard sources.host, !HostSampler.readsListenQueues(procRoot: sampling.procRoot) else { return [] }
        let netlink = Set(HostMetric.fromNetlink.map(\.rawValue))
        var seen = Set<String>()
        return (model.features + overloadMetrics).filter { netlink.contains($0) && seen.insert($0).inserted }
    }
}

