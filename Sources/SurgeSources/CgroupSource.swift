import Glibc
import SurgeSampling
import Synchronization

/// `[[sources.cgroup]]`: one systemd unit's cgroup v2 figures: CPU used (in cores, from
/// `cpu.stat`'s usage_usec between two reads), memory charged (`memory.current`), and the unit's
/// own cpu/memory/io pressure.
///
/// The unit's directory is found under the v2 hierarchy: `<root>` on a unified host, or
/// `<root>/unified` on a hybrid one (systemd's v1 controllers with a v2 tree beside them, where
/// pressure and cpu.stat exist but no memory controller). While the unit is not running it is
/// looked for again: in system.slice every tick (one access(2)), by a walk of the hierarchy at
/// most every `walkEverySeconds` (a host with thousands of cgroups would pay for the walk each
/// tick). Whatever the host lacks stays missing, and the log says why once.
public final class CgroupSource: MetricSource {
    public let id: String
    public let metricNames: [String]
    let unit: String
    let root: String
    private let state = Mutex<State>(State())
    private let reader = ProcFileReader(limit: 64 << 10)
    static let walkEverySeconds = 60.0

    struct State {
        var directory: String?
        var previousUsage: (seconds: Double, microseconds: UInt64)?
        var lastWalk: Double?
    }

    public init(name: String?, unit: String, cgroupRoot: String = "/sys/fs/cgroup") {
        id = "cgroup \(unit)"
        metricNames = ApplicationMetric.prefixed(ApplicationMetric.cgroup, by: name)
        self.unit = unit
        root = cgroupRoot.hasSuffix("/") ? String(cgroupRoot.dropLast()) : cgroupRoot
    }

    public func read(monotonicSeconds now: Double) async -> SourceReading {
        state.withLock { read(now, &$0) }
    }

    private func read(_ now: Double, _ state: inout State) -> SourceReading {
        var values = [Double](repeating: .nan, count: metricNames.count)
        guard let hierarchy = v2Hierarchy() else {
            return SourceReading(values: values, problems: [SourceProblem(kind: .absentFeature, location: root,
                message: "no cgroup v2 hierarchy at \(root) (cgroup v1 only): cgroup metrics of \(unit) stay missing")])
        }
        if state.directory == nil {
            if let usual = Self.inSystemSlice(unit, under: hierarchy) {
                state.directory = usual
            } else if state.lastWalk.map({ now - $0 >= Self.walkEverySeconds }) ?? true {
                state.lastWalk = now
                state.directory = Self.find(unit, under: hierarchy)
            }
        }
        guard let directory = state.directory else {
            state.previousUsage = nil
            return SourceReading(values: values, problems: [SourceProblem(kind: .failure, location: hierarchy,
                message: "no cgroup for \(unit) under \(hierarchy): is the unit running?")])
        }
        var problems: [SourceProblem] = []
        func load<T>(_ file: String, _ parse: (ProcText) throws(ProcParseError) -> T) -> T? {
            // A pressure file reads empty where PSI is turned off (as /proc/pressure's do).
            let (value, problem) = reader.parsed(directory + "/" + file, parse, missing: { [unit] path, absence in
                // The whole directory gone means the unit stopped, said once below.
                guard access(directory, F_OK) == 0 else { return nil }
                guard absence != .noFile else {
                    return SourceProblem(kind: .absentFeature, location: path,
                                         message: "\(path) is absent (controller not enabled for \(unit), or a kernel without PSI): that metric stays missing")
                }
                guard file.hasSuffix(".pressure") else {
                    return SourceProblem(kind: .failure, location: path, message: ProcReadError.unreadable(path: path, errno: EOPNOTSUPP).description)
                }
                let (fact, reason) = HostSampler.pressureAbsence(absence, of: path)
                return SourceProblem(kind: .absentFeature, location: path, message: "\(fact): that metric stays missing, as on \(reason)")
            }, emptyIsAbsent: file.hasSuffix(".pressure"))
            if let problem { problems.append(problem) }
            return value
        }
        // The order of ApplicationMetric.cgroup.
        if let usage = load("cpu.stat", CgroupFiles.cpuUsageMicroseconds) {
            if let before = state.previousUsage, let rate = counterRate(previous: before.microseconds, current: usage, seconds: now - before.seconds) {
                values[0] = rate / 1e6
            }
            state.previousUsage = (now, usage)
        }
        if let bytes = load("memory.current", CgroupFiles.memoryBytes) { values[1] = Double(bytes) }
        if let cpu = load("cpu.pressure", PressureStall.parse) { values[2] = cpu.someAvg10 }
        if let memory = load("memory.pressure", PressureStall.parse) { values[3] = memory.someAvg10 }
        if let io = load("io.pressure", PressureStall.parse) { values[4] = io.someAvg10 }
        if access(directory, F_OK) != 0 {
            // Stopped (or restarted into a new directory): look again next tick.
            state.directory = nil
            state.previousUsage = nil
            return SourceReading(values: [Double](repeating: .nan, count: metricNames.count), problems: [
                SourceProblem(kind: .failure, location: directory, message: "\(directory) is gone: \(unit) stopped")])
        }
        return SourceReading(values: values, problems: problems)
    }

    /// `<root>` when it is a v2 mount, `<root>/unified` on a hybrid host, else nil.
    func v2Hierarchy() -> String? {
        for candidate in [root, root + "/unified"] where access(candidate + "/cgroup.controllers", F_OK) == 0 {
            return candidate
        }
        return nil
    }

    /// systemd puts services in system.slice; a unit in another slice (nested ones too) is found
    /// by a walk of at most four levels.
    static func find(_ unit: String, under hierarchy: String) -> String? {
        if let usual = inSystemSlice(unit, under: hierarchy) { return usual }
        var level = [hierarchy]
        for _ in 0..<4 {
            var next: [String] = []
            for directory in level {
                for child in subdirectories(of: directory) {
                    let path = directory + "/" + child
                    if child == unit { return path }
                    next.append(path)
                }
            }
            level = next
        }
        return nil
    }

    static func inSystemSlice(_ unit: String, under hierarchy: String) -> String? {
        let usual = hierarchy + "/system.slice/" + unit
        return access(usual + "/cgroup.procs", F_OK) == 0 ? usual : nil
    }

    static func subdirectories(of path: String) -> [String] {
        guard let stream = opendir(path) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
