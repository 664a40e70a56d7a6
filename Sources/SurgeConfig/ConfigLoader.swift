import FoundationEssentials
import Glibc
import SurgeSampling

/// Turns a config file into a `SurgeConfig`, or into every error it holds, each located.
public enum ConfigLoader {
    public static let defaultPath = "/etc/surgewatch/surgewatch.toml"

    /// `metrics`: for `replay` and `train`, the columns of the trace with a phrase naming it;
    /// features and rule metrics are then checked against those instead of the sources.
    /// `sourceFiles`: read the files the HTTP sources name (`header_files`, secrets a tool that
    /// reads no source has no need of, and `tls_ca_file`; never with `metrics`).
    public static func load(path: String, metrics: MetricsOrigin? = nil, sourceFiles: Bool = true) throws(ConfigErrors) -> SurgeConfig {
        let text: String
        switch readText(path) {
        case .success(let contents): text = contents
        case .failure(let reason):
            throw ConfigErrors([ConfigError(file: path, position: reason.position, key: nil, message: "cannot read the file: \(reason)\(reason.userHint)")])
        }
        return try parse(text, file: path, metrics: metrics, sourceFiles: sourceFiles && metrics == nil)
    }

    /// The file's text, or the system's reason it could not be read ("No such file or directory").
    /// Read like /proc files: to EOF, with a size cap, never trusting the reported size.
    static func readText(_ path: String) -> Result<String, ReadFailure> {
        let bytes: [UInt8]
        do {
            bytes = try ProcFileReader(limit: 4 << 20).read(path).bytes
        } catch {
            switch error {
            case .missing: return .failure(ReadFailure(errno: ENOENT))
            case .unreadable(_, let code): return .failure(ReadFailure(errno: code))
            case .tooLarge: return .failure(ReadFailure(message: "larger than 4 MiB; not a config file"))
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(ReadFailure(message: "not valid UTF-8", position: firstInvalidUTF8(bytes)))
        }
        return .success(text)
    }

    /// Where the first byte that is not UTF-8 sits, counted as TOMLParser counts (a column
    /// per Unicode scalar), so an operator's editor finds the stray Latin-1 byte or binary paste.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> SourcePosition? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var position = SourcePosition(line: 1, column: 1)
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 && encoded.first == UInt8(ascii: "\n") {
                    position = SourcePosition(line: position.line + 1, column: 1)
                } else {
                    position.column += 1
                }
            case .error: return position
            case .emptyInput: return nil
            }
        }
    }

    struct ReadFailure: Error, CustomStringConvertible {
        let description: String
        var position: SourcePosition?
        /// Said after a permission refused to a process not run as root: most often the daemon
        /// under the shipped unit, whose dynamic user reads only what others may.
        var userHint = ""
        /// `credentialHint`: a secret's file, which the unit is given with LoadCredential=
        /// rather than by opening it to others.
        init(errno code: Int32, credentialHint: Bool = false) {
            description = String(cString: strerror(code))
            if credentialHint && code == EACCES {
                userHint = " (read as uid \(geteuid()); give the unit a root-only file with LoadCredential=NAME:PATH in a drop-in, "
                    + "and name it here by NAME: the daemon reads it in $CREDENTIALS_DIRECTORY)"
            } else if code == EACCES && geteuid() != 0 {
                userHint = " (read as uid \(geteuid()); under the shipped unit, a dynamic user, the file must be readable by others: chmod 644)"
            }
        }
        init(message: String, position: SourcePosition? = nil) {
            description = message
            self.position = position
        }
    }

    public static func parse(_ text: String, file: String, metrics: MetricsOrigin? = nil, sourceFiles: Bool = true) throws(ConfigErrors) -> SurgeConfig {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw ConfigErrors([ConfigError(file: file, position: error.position, key: nil, message: "TOML syntax: \(error.message)")],
                               unchecked: "the keys and values are checked once the syntax is fixed")
        }
        let context = DecodingContext(file: file, readsSourceFiles: sourceFiles && metrics == nil)
        let config = decode(TableReader(table: root, path: "", context: context))
        // Checks across keys read values a wrong key left at its default, so they would blame
        // the wrong key: they wait until every key reads.
        guard context.errors.isEmpty else {
            throw ConfigErrors(context.errors, unchecked: "the checks across keys (metric names against the enabled sources, settings "
                                                          + "against each other) run once these are fixed")
        }
        validate(config, context, metrics: metrics)
        guard context.errors.isEmpty else { throw ConfigErrors(context.errors) }
        return config
    }

    static func decode(_ root: TableReader) -> SurgeConfig {
        var config = SurgeConfig()
        let defaults = SurgeConfig()
        if let t = root.table("sampling") {
            config.sampling.interval = t.duration("interval", default: defaults.sampling.interval, range: .seconds(1)...(.seconds(300)))
            config.sampling.procRoot = t.string("proc_root") ?? defaults.sampling.procRoot
            config.sampling.cgroupRoot = t.string("cgroup_root") ?? defaults.sampling.cgroupRoot
            t.finish()
        }
        if let t = root.table("window") {
            config.window.ticks = t.int("ticks", default: defaults.window.ticks, range: 2...2880)
            t.finish()
        }
        if let t = root.table("model") {
            config.model.features = t.strings("features", default: defaults.model.features)
            config.model.horizonTicks = t.int("horizon_ticks", default: defaults.model.horizonTicks, range: 0...360)
            config.model.hidden = t.int("hidden", default: defaults.model.hidden, range: 1...512)
            config.model.layers = t.int("layers", default: defaults.model.layers, range: 1...8)
            config.model.path = t.string("path")
            t.finish()
        }
        if let t = root.table("learning") {
            config.learning.online = t.bool("online", default: defaults.learning.online)
            config.learning.minimumWindowsPerClass = t.int("min_windows_per_class",
                default: defaults.learning.minimumWindowsPerClass, range: 1...2048)
            config.learning.stepEveryTicks = t.int("step_every_ticks", default: defaults.learning.stepEveryTicks, range: 1...10_000)
            if t.contains("rate") { config.learning.rate = t.double("rate", default: 3e-5, range: 1e-7...0.1) }
            if let text = t.string("layers") {
                if let layers = SurgeConfig.Learning.Layers(rawValue: text) {
                    config.learning.layers = layers
                } else {
                    let choices = SurgeConfig.Learning.Layers.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                    t.fail("layers", "expected \(choices), got \"\(text)\"")
                }
            }
            t.finish()
        }
        if let t = root.table("overload") {
            let anyGiven = t.contains("any"), allGiven = t.contains("all")
            let any = conditions(t, "any"), all = conditions(t, "all")
            if anyGiven || allGiven {
                config.overload.any = any
                config.overload.all = all
            }
            config.overload.forTicks = t.int("for_ticks", default: defaults.overload.forTicks, range: 1...1000)
            t.finish()
        }
        if let t = root.table("alert") {
            config.alert.fireProbability = t.double("fire_probability", default: defaults.alert.fireProbability, range: 0...1)
            config.alert.resolveProbability = t.double("resolve_probability", default: defaults.alert.resolveProbability, range: 0...1)
            config.alert.fireAfter = t.int("fire_after", default: defaults.alert.fireAfter, range: 1...100)
            // Absent, it never sits below a fire_probability set above the default.
            config.alert.fireAtOnceProbability = t.double("fire_at_once_probability",
                default: max(defaults.alert.fireAtOnceProbability, config.alert.fireProbability), range: 0...1)
            config.alert.fireOnLeapProbability = t.double("fire_on_leap_probability",
                default: defaults.alert.fireOnLeapProbability, range: 0...1)
            config.alert.firePendingProbability = t.double("fire_on_pending_probability",
                default: defaults.alert.firePendingProbability, range: 0...1)
            config.alert.resolveAfter = t.int("resolve_after", default: defaults.alert.resolveAfter, range: 1...1000)
            config.alert.settleProbability = t.double("settle_probability", default: defaults.alert.settleProbability, range: 0...1)
            config.alert.settleAfter = t.int("settle_after", default: defaults.alert.settleAfter, range: 1...10_000)
            config.alert.hold = conditions(t, "hold")
            t.finish()
        }
        if let t = root.table("schedule") {
            config.schedule.sales = saleTimes(t)
            config.schedule.lead = t.duration("lead", default: defaults.schedule.lead, range: .zero...(.seconds(7200)))
            config.schedule.fireProbability = t.double("fire_probability", default: defaults.schedule.fireProbability, range: 0...1)
            config.schedule.fireWhen = conditions(t, "fire_when")
            // Within a day of each tick is where AnnouncedStarts looks for starts.
            config.schedule.lasts = t.duration("lasts", default: defaults.schedule.lasts, range: .seconds(60)...(.seconds(12 * 3600)))
            t.finish()
        }
        if let t = root.table("store") {
            config.store.path = t.string("path") ?? defaults.store.path
            config.store.retention = t.duration("retention", default: defaults.store.retention, range: .seconds(3600)...(.seconds(3650 * 86400)))
            t.finish()
        }
        if let t = root.table("sources") {
            config.sources = sources(t, defaultTimeout: defaultTimeout(interval: config.sampling.interval))
            t.finish()
        }
        if let t = root.table("journal") {
            config.journal.identifier = t.string("identifier") ?? defaults.journal.identifier
            let identifier = config.journal.identifier
            if identifier.isEmpty || identifier.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
                t.fail("identifier", "expected a non-empty word without spaces, got \"\(identifier)\"")
            }
            t.finish()
        }
        if let t = root.table("prometheus") {
            if let path = t.string("textfile"), !path.isEmpty {
                if !path.hasPrefix("/") {
                    t.fail("textfile", "expected an absolute path such as \"/run/surgewatch/surgewatch.prom\", got \"\(path)\"")
                } else if !path.hasSuffix(".prom") || path.hasSuffix("/.prom") {
                    t.fail("textfile", "node_exporter's textfile collector reads only files named *.prom, got \"\(path)\"")
                } else {
                    config.prometheus.textfile = path
                }
            }
            t.finish()
        }
        if let t = root.table("alertmanager") {
            config.alertmanager = alertmanager(t)
            t.finish()
        }
        root.finish()
        return config
    }

    static func conditions(_ table: TableReader, _ key: String) -> [OverloadCondition] {
        table.strings(key, default: []).enumerated().compactMap { offset, text in
            switch OverloadCondition.parse(text) {
            case .success(let condition):
                if MetricScale.isComputedHere(condition.metric), let vacuity = MetricScale.vacuity(of: condition) {
                    table.context.fail("\(table.keyPath(key))[\(offset)]", vacuity)
                }
                return condition
            case .failure(let failure):
                table.context.fail("\(table.keyPath(key))[\(offset)]", failure.message)
                return nil
            }
        }
    }

    static let timeoutRange: ClosedRange<Duration> = .milliseconds(10)...(.seconds(60))

    /// A source's timeout when the file gives none: 2 s, or half the interval when ticks come
    /// faster than every 4 s, so a short interval needs no timeout written on every source.
    static func defaultTimeout(interval: Duration) -> Duration {
        min(.seconds(2), interval / 2)
    }

    static func sources(_ t: TableReader, defaultTimeout: Duration) -> SurgeConfig.Sources {
        var sources = SurgeConfig.Sources()
        sources.host = t.bool("host", default: true)
        sources.listenPorts = t.ports("listen_ports")
        for p in t.tables("probe") {
            let probe = SurgeConfig.Probe(
                name: sourceName(p), url: url(p, in: "[[sources.probe]]"),
                timeout: p.duration("timeout", default: defaultTimeout, range: timeoutRange), request: request(p))
            p.finish()
            sources.probes.append(probe)
        }
        for p in t.tables("prometheus") {
            var endpoint = SurgeConfig.Prometheus(
                name: sourceName(p), url: url(p, in: "[[sources.prometheus]]"),
                timeout: p.duration("timeout", default: defaultTimeout, range: timeoutRange),
                // OpenMetrics, which another Accept could ask for, is not the format the scrape reads.
                request: request(p, reserved: ["accept": "a scrape asks for the text format 0.0.4, the one surgewatch reads"]))
            if let metrics = p.table("metrics") {
                for (name, node) in metrics.entries() {
                    guard MetricNameRule.isValid(name) else {
                        metrics.context.fail(metrics.keyPath(name), "'\(name)' is not a metric name (lower-case letters, digits and _)", at: node.keyPosition)
                        continue
                    }
                    guard case .string(let expression) = node.value, !expression.isEmpty else {
                        metrics.fail(name, "expected an expression string such as 'rate(http_requests_total)', got \(node.value.summary)")
                        continue
                    }
                    do {
                        _ = try PrometheusQuery.parse(expression)
                    } catch {
                        // The column of the offending character: past the opening quote, exact for
                        // one-line strings without escapes, which is how expressions are written.
                        var position = node.position
                        position.column += 1 + error.offset
                        metrics.context.fail(metrics.keyPath(name), "\(error.reason), in '\(expression)'", at: position)
                        continue
                    }
                    endpoint.metrics.append(.init(name: name, expression: expression))
                }
            } else {
                p.context.fail(p.path, "[[sources.prometheus]] needs a [sources.prometheus.metrics] table naming the series to use")
            }
            p.finish()
            sources.prometheus.append(endpoint)
        }
        for p in t.tables("nginx") {
            let server = SurgeConfig.Nginx(
                name: sourceName(p), url: url(p, in: "[[sources.nginx]]"),
                timeout: p.duration("timeout", default: defaultTimeout, range: timeoutRange), request: request(p))
            p.finish()
            sources.nginx.append(server)
        }
        for p in t.tables("cgroup") {
            let name = sourceName(p)
            let unit = p.requiredString("unit", in: "[[sources.cgroup]]") ?? ""
            if !unit.isEmpty && (unit.contains("/") || !unit.contains(".")) {
                p.fail("unit", "expected a systemd unit name such as \"shop.service\", got \"\(unit)\"")
            }
            p.finish()
            sources.cgroups.append(SurgeConfig.Cgroup(name: name, unit: unit))
        }
        return sources
    }

    static func sourceName(_ t: TableReader) -> String? {
        guard let name = t.string("name") else { return nil }
        guard MetricNameRule.isValid(name) else {
            t.fail("name", "'\(name)' cannot prefix metric names: use lower-case letters, digits and _")
            return nil
        }
        return name
    }

    static func url(_ t: TableReader, in tableName: String) -> String {
        guard let url = t.requiredString("url", in: tableName) else { return "" }
        if !isHTTPURL(url) { t.fail("url", "expected an http:// or https:// URL with a host, got \"\(url)\"") }
        return url
    }

    static func isHTTPURL(_ url: String) -> Bool {
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme else { return false }
        return (scheme == "http" || scheme == "https") && !(parsed.host ?? "").isEmpty
    }

    /// Checks between keys, once each key is well-formed on its own.
    static func validate(_ config: SurgeConfig, _ context: DecodingContext, metrics origin: MetricsOrigin?) {
        if config.alert.resolveProbability >= config.alert.fireProbability {
            context.fail("alert.resolve_probability",
                "must be below alert.fire_probability (\(config.alert.fireProbability)), or alerts would flap; got \(config.alert.resolveProbability)")
        }
        if config.alert.fireAtOnceProbability < config.alert.fireProbability {
            context.fail("alert.fire_at_once_probability",
                "must be at or above alert.fire_probability (\(config.alert.fireProbability)); got \(config.alert.fireAtOnceProbability)")
        }
        if config.alert.fireOnLeapProbability < 1 && config.alert.fireOnLeapProbability <= config.alert.resolveProbability {
            context.fail("alert.fire_on_leap_probability",
                "must be above alert.resolve_probability (\(config.alert.resolveProbability)), where a leap starts, or 1 for none; got \(config.alert.fireOnLeapProbability)")
        }
        if config.alert.settleProbability > 0 {
            if !config.alert.settleFits(resolve: config.alert.resolveProbability, fire: config.alert.fireProbability) {
                context.fail("alert.settle_probability",
                    "must lie between alert.resolve_probability (\(config.alert.resolveProbability)) and alert.fire_probability (\(config.alert.fireProbability)), or 0 for none; got \(config.alert.settleProbability)")
            } else if config.alert.settleAfter <= config.alert.resolveAfter {
                context.fail("alert.settle_after",
                    "must be more than alert.resolve_after (\(config.alert.resolveAfter)): a settle as quick as the resolve is a higher resolve_probability; got \(config.alert.settleAfter)")
            }
        }
        if config.alert.firePendingProbability < 1 && config.overload.forTicks < 2 {
            context.fail("alert.fire_on_pending_probability",
                "fires a tick before the rule has held overload.for_ticks ticks in a row, so it needs for_ticks >= 2 (it is \(config.overload.forTicks)); set it, or leave this key out")
        }
        if !config.schedule.sales.isEmpty && config.schedule.fireProbability <= config.alert.resolveProbability {
            context.fail("schedule.fire_probability",
                "must be above alert.resolve_probability (\(config.alert.resolveProbability)), or an alert fired before a sale would resolve at once; got \(config.schedule.fireProbability)")
        }
        if !config.schedule.fireWhen.isEmpty && config.schedule.lead < config.sampling.interval {
            context.fail("schedule.fire_when",
                "is asked on the last tick before each start, which schedule.lead (\(DurationText.format(config.schedule.lead))) does not reach: set lead to at least sampling.interval (\(DurationText.format(config.sampling.interval)))")
        }
        if config.model.horizonTicks >= config.window.ticks {
            context.fail("model.horizon_ticks", "must be shorter than window.ticks (\(config.window.ticks)); got \(config.model.horizonTicks)")
        }
        let interval = config.sampling.interval
        func checkTimeout(_ timeout: Duration, _ path: String) {
            if timeout >= interval {
                context.fail(path, "timeout \(DurationText.format(timeout)) must be shorter than sampling.interval (\(DurationText.format(interval))), or a slow endpoint would stall ticks")
            }
        }
        for (i, p) in config.sources.probes.enumerated() { checkTimeout(p.timeout, "sources.probe[\(i)].timeout") }
        for (i, p) in config.sources.prometheus.enumerated() { checkTimeout(p.timeout, "sources.prometheus[\(i)].timeout") }
        for (i, p) in config.sources.nginx.enumerated() { checkTimeout(p.timeout, "sources.nginx[\(i)].timeout") }

        for (kind, count, names) in [
            ("probe", config.sources.probes.count, config.sources.probes.map(\.name)),
            ("prometheus", config.sources.prometheus.count, config.sources.prometheus.map(\.name)),
            ("nginx", config.sources.nginx.count, config.sources.nginx.map(\.name)),
            ("cgroup", config.sources.cgroups.count, config.sources.cgroups.map(\.name)),
        ] where count > 1 {
            for (i, name) in names.enumerated() where name == nil {
                context.fail("sources.\(kind)[\(i)]", "several [[sources.\(kind)]] need a 'name' each, which prefixes their metrics")
            }
        }

        let provided = config.providedMetrics
        var seen: Set<String> = []
        for name in provided where !seen.insert(name).inserted {
            context.fail("sources", "metric '\(name)' is provided by two sources; give them different names")
        }
        let available = origin?.names ?? provided
        let providedSet = Set(available)
        func unknownMetricMessage(_ metric: String) -> String {
            var message = origin.map { "\($0.place) has no column '\(metric)'" } ?? "no enabled source provides metric '\(metric)'"
            if let close = NameSuggestion.closest(to: metric, among: available) { message += "; did you mean '\(close)'?" }
            return message
        }
        if config.model.features.isEmpty {
            context.fail("model.features", "needs at least one metric")
        }
        var featureSeen: Set<String> = []
        for (i, feature) in config.model.features.enumerated() {
            if !featureSeen.insert(feature).inserted {
                context.fail("model.features[\(i)]", "'\(feature)' is listed twice")
            } else if !providedSet.contains(feature) {
                context.fail("model.features[\(i)]", unknownMetricMessage(feature))
            }
        }
        if config.overload.any.isEmpty && config.overload.all.isEmpty {
            context.fail("overload", "the SLO rule needs at least one condition in 'any' or 'all'")
        }
        for (key, list) in [("overload.any", config.overload.any), ("overload.all", config.overload.all), ("alert.hold", config.alert.hold),
                            ("schedule.fire_when", config.schedule.fireWhen)] {
            for (i, condition) in list.enumerated() where !providedSet.contains(condition.metric) {
                context.fail("\(key)[\(i)]", unknownMetricMessage(condition.metric))
            }
        }
        if config.store.path.isEmpty { context.fail("store.path", "must not be empty") }
    }
}


/// Where metrics come from when not from the config's sources: a trace's columns.
public struct MetricsOrigin: Sendable {
    public var names: [String]
    /// Used in messages: "the trace data/wc98.csv".
    public var place: String

    public init(names: [String], place: String) {
        self.names = names
        self.place = place
    }
}
