import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeJournal
import SurgeModel
import SurgeSampling

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file: exit 0 if valid, else print FILE:LINE:COLUMN: KEY: problem and exit 1.")

    @Argument(help: "The config file.", completion: .file())
    var path = ConfigLoader.defaultPath

    @Option(help: "The state directory a relative model.path is read from (default: $STATE_DIRECTORY, else /var/lib/surgewatch), as `run` reads it.", completion: .directory)
    var stateDir: String?

    @Flag(help: ArgumentHelp("Also read each application source twice, a second apart, and print what it gives.",
                             discussion: "Each probe, scrape, stub_status and cgroup as the daemon reads it at its first ticks: the metrics, or why one is missing (a series not on the page, with its nearest name; a refusal; a redirect), so a config is tried against the shop before it is applied."))
    var fetch = false

    func run() async throws {
        do {
            let config = try ConfigLoader.load(path: path)
            let model = try chooseModel(config)
            if let unreadable = Self.unitCannotRead(path, stateDirectory: model.stateDirectory) {
                writeAll("warning: \(path) \(unreadable): it would not start, and a reload would be refused; chmod 644 it\n", to: STDERR_FILENO)
            }
            let metrics = config.providedMetrics
            print("\(path): valid; \(metrics.count) metrics, features \(config.model.features.joined(separator: ", ")), every \(DurationText.format(config.sampling.interval))")
            let tick = model.source.model.tickSeconds.map { "ticks of \(DurationText.format(seconds: $0))" } ?? "tick length not recorded"
            print("model: \(model.source.origin) (window \(model.source.model.windowTicks) ticks, horizon \(model.source.model.horizonTicks), \(tick))")
            let relative = model.source.model.features.filter { $0.transform == .log1pRelative }.map(\.name)
            if !relative.isEmpty {
                print("model: reads \(relative.joined(separator: ", ")) against this host's usual level (its own mean at first, then followed with a half-life of \(HostLevels.halfLifeTicks) ticks), so the host's size does not matter")
            }
            if let caution = model.source.ruleCaution(config) { print("note: \(caution)") }
            for caution in config.conditionCautions + config.queryCautions { writeAll("warning: \(path): \(caution)\n", to: STDERR_FILENO) }
            if let caution = ModelCatalog.tickCaution(model.source.model, tickSeconds: config.sampling.interval.seconds, here: "sampling.interval is") {
                writeAll("warning: \(path): \(caution)\n", to: STDERR_FILENO)
            }
            if let unread = model.source.configuredFileUnread {
                writeAll("warning: \(path): \(ModelSource.unreadText(unread, instead: model.source.origin))\n", to: STDERR_FILENO)
            } else if let configured = model.configuredPath, let caution = Self.modelModeCaution(configured, stateDirectory: model.stateDirectory) {
                writeAll("warning: \(path): \(caution)\n", to: STDERR_FILENO)
            }
            let unread = config.netlinkMetricsLeftMissing
            if !unread.isEmpty {
                writeAll("warning: \(path): \(unread.joined(separator: ", ")) will stay missing: read over netlink only when sampling.proc_root is /proc, not \(config.sampling.procRoot)\n", to: STDERR_FILENO)
            }
            if let pressure = Self.pressureMetricsLeftMissing(config) {
                writeAll("warning: \(path): \(pressure.metrics.joined(separator: ", ")) will stay missing: \(pressure.why). The model would read "
                         + "its training mean for a missing feature, and the [overload] rule be unknown where it needs them; "
                         + "\(SurgeConfig.withoutPSIAdvice)\n", to: STDERR_FILENO)
            }
            // Each HTTP source as it will ask: the operator sees a header file was found (never its value).
            for line in Self.httpSources(config) { print(line) }
            if fetch { for line in await Self.fetched(config) { print(line) } }
            // The policy said in full: its defaults move between releases (session 46).
            print("alerts: \(config.alert.described())")
            if let sales = config.schedule.summary(now: Double(time(nil))) { print("schedule: \(sales)") }
            if let pushed = config.alertmanager.described { print("alertmanager: \(pushed)") }
            if fetch { for line in await Self.alertmanagersAsked(config) { print(line) } }
            if let textfile = config.prometheus.textfile, let caution = Self.textfileCaution(textfile) {
                writeAll("warning: \(path): \(caution)\n", to: STDERR_FILENO)
            }
            if config.learning.online {
                let memory = LearningMemory(config: config)
                print("online learning holds \(memory.description)")
                if memory.totalBytes > LearningMemory.shippedUnitBudget {
                    writeAll("warning: \(path): online learning would hold more than \(LearningMemory.shippedUnitBudget >> 20) MiB; the shipped unit's MemoryMax=128M would stop the daemon. Shorten window.ticks, shrink the model, turn learning.online off, or raise MemoryMax in a drop-in.\n", to: STDERR_FILENO)
                }
            }
        } catch {
            writeAll(error.description + "\n", to: STDERR_FILENO)
            if let unchecked = error.unchecked { writeAll("note: \(unchecked)\n", to: STDERR_FILENO) }
            throw ExitCode(1)
        }
    }

    /// A file this check could read (as root) that the shipped unit's dynamic user could not:
    /// not readable by others, and not the state directory owner's (the dynamic user, once the
    /// daemon has run) with its owner's read bit. "is mode 600 and owned by uid 0", or nil.
    static func unitCannotRead(_ file: String, stateDirectory: String) -> String? {
        var info = stat(), directory = stat()
        guard stat(file, &info) == 0, info.st_mode & S_IROTH == 0 else { return nil }
        if stat(stateDirectory, &directory) == 0, directory.st_uid == info.st_uid, info.st_mode & S_IRUSR != 0 { return nil }
        return "is mode \(String(info.st_mode & 0o777, radix: 8)) and owned by uid \(info.st_uid): the shipped unit runs the daemon as "
            + "a dynamic user (DynamicUser=yes), which could not read it"
    }

    static func modelModeCaution(_ file: String, stateDirectory: String) -> String? {
        unitCannotRead(file, stateDirectory: stateDirectory).map { "model.path \(file) \($0) and would predict from another model; chmod 644 it" }
    }

    /// Where `[prometheus] textfile` cannot be written as things stand: its directory is not
    /// there. The unit's own /run/surgewatch is made by systemd when the daemon starts, so it
    /// is not expected before.
    static func textfileCaution(_ textfile: String) -> String? {
        let directory = String(textfile[..<(textfile.lastIndex(of: "/") ?? textfile.startIndex)])
        guard !directory.isEmpty, directory != "/run/surgewatch" else { return nil }
        var info = stat()
        guard stat(directory, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR else {
            return "prometheus.textfile: \(directory) is not a directory here, so the daemon could not write \(textfile) "
                + "(the unit's /run/surgewatch, which systemd makes at start, needs nothing)"
        }
        return "prometheus.textfile: \(directory): " + PrometheusTextfile.unitAdvice
    }

    /// One line per HTTP source: "source probe shop: GET URL, at ..., headers ...".
    static func httpSources(_ config: SurgeConfig) -> [String] {
        let sources = config.sources
        func line(_ kind: String, _ name: String?, _ url: String, _ request: SurgeConfig.HTTPRequest) -> String {
            "source \(kind)\(name.map { " " + $0 } ?? ""): GET \(url)" + (request.described.map { ", " + $0 } ?? "")
        }
        return sources.probes.map { line("probe", $0.name, $0.url, $0.request) }
            + sources.prometheus.map { line("prometheus", $0.name, $0.url, $0.request) }
            + sources.nginx.map { line("nginx", $0.name, $0.url, $0.request) }
    }

    /// Features and rule metrics of /proc/pressure that this host's /proc does not give (absent,
    /// or PSI turned off: the daemon says the same at its first full window, from what it
    /// sampled), and why, or nil. A proc_root that is no /proc tree at all is left to the
    /// daemon's source errors.
    static func pressureMetricsLeftMissing(_ config: SurgeConfig) -> (metrics: [String], why: String)? {
        let root = config.sampling.procRoot
        guard config.sources.host, access(root + "/stat", F_OK) == 0 else { return nil }
        var absences: [String: ProcAbsence?] = [:]
        var seen = Set<String>()
        let metrics = (config.model.features + config.overloadMetrics).filter { metric in
            guard let file = HostMetric.pressureFile(of: metric), seen.insert(metric).inserted else { return false }
            if absences[file] == nil { absences[file] = HostSampler.pressureAbsence(procRoot: root, file: file) }
            return absences[file]! != nil
        }
        guard let file = metrics.first.flatMap(HostMetric.pressureFile(of:)), let absence = absences[file]! else { return nil }
        if absence == .noFile { return (metrics, "\(root)/pressure lacks them, as on \(HostSampler.pressureAbsentReason)") }
        let (fact, reason) = HostSampler.pressureAbsence(absence, of: "\(root)/pressure/\(file)")
        return (metrics, "\(fact), as on \(reason)")
    }

    /// Chooses the model as `run` will, so a model file that cannot serve is found here rather
    /// than by a daemon that refuses to start (or a reload that is ignored).
    private func chooseModel(_ config: SurgeConfig) throws(ConfigErrors) -> (source: ModelSource, configuredPath: String?, stateDirectory: String) {
        let directory = StateDirectory.resolve(override: stateDir)
        do {
            let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: directory)
            return (source, config.model.path.map { StateDirectory.file($0, in: directory) }, directory)
        } catch {
            throw ConfigErrors([ConfigError(file: path, position: ConfigLoader.valuePosition(of: ["model", "path"], inFile: path),
                                            key: "model.path", message: "\(error)")])
        }
    }
}

