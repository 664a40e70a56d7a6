import Glibc
import Synchronization

/// Reads the host metrics from a /proc tree and turns counters into rates against the previous
/// read. Pure apart from file reads under `procRoot`, which tests point at fixture trees, and
/// the listening sockets, which come from the kernel over netlink (`listenQueues`). Netlink
/// answers for the daemon's own network namespace, which a /proc tree elsewhere need not
/// describe, so by default they are read only when `procRoot` is /proc (and missing otherwise).
public struct HostSampler: Sendable {
    public let procRoot: String
    private let reader: ProcFileReader
    private let listenQueues: (@Sendable () -> Result<ListenQueues, ListenQueueError>)?
    /// `sources.listen_ports`: the shop's ports, whose listeners the queue metrics read.
    private let listenPorts: [UInt16]
    private let paths: Paths
    private var previous: Counters?
    /// Which of the last-seen block devices are whole disks, kept while the device list stays
    /// the same (telling partitions from disks compares every name with every other).
    private var diskSelection: (names: [String], whole: [Bool])?
    /// The virtual network interfaces, asked again whenever the interface list changes
    /// (`VirtualInterfaces`); nil: every interface but the loopback counts.
    private let virtualInterfaces: (@Sendable () -> Set<String>?)?
    /// Which of the last-seen interfaces count toward the `net_*` rates, kept while the list
    /// stays the same (containers come and go, the list with them).
    private var interfaceSelection: (names: [String], counted: [Bool])?

    /// The interfaces the last read summed (for tests).
    var countedInterfaces: [String] {
        interfaceSelection.map { zip($0.names, $0.counted).compactMap { $1 ? $0 : nil } } ?? []
    }

    /// The live kernel's listening sockets, through a netlink socket of this reader's own.
    public static func kernelListenQueues(ports: [UInt16] = []) -> @Sendable () -> Result<ListenQueues, ListenQueueError> {
        let reader = ListenQueueReader(ports: ports)
        return { reader.read() }
    }

    /// The counters that become rates, kept from one read to the next. Tcp and TcpExt hold
    /// the counters of `tcpCounters` and `tcpExtCounters`, in their order.
    struct Counters: Sendable {
        var seconds: Double
        var cpu: CPUStat?
        var net: [NetDevStats.Interface]?
        var tcp: [Int64?]?
        var tcpExt: [Int64?]?
        var disks: [DiskStats.Device]?
    }

    /// The files of one tick, their paths made once.
    struct Paths: Sendable {
        let stat, loadavg, meminfo, pressureCPU, pressureMemory, pressureIO: String
        let netDev, sockstat, snmp, netstat, diskstats: String

        init(procRoot: String) {
            func path(_ relative: String) -> String { procRoot + "/" + relative }
            stat = path("stat"); loadavg = path("loadavg"); meminfo = path("meminfo")
            pressureCPU = path("pressure/cpu"); pressureMemory = path("pressure/memory"); pressureIO = path("pressure/io")
            netDev = path("net/dev"); sockstat = path("net/sockstat"); snmp = path("net/snmp"); netstat = path("net/netstat")
            diskstats = path("diskstats")
        }
    }

    /// `virtualInterfaces`: by default the live sysfs's when `procRoot` is /proc (a /proc tree
    /// elsewhere has no sysfs beside it to ask), else none.
    public init(procRoot: String = "/proc", reader: ProcFileReader = ProcFileReader(keepingProcFilesOpen: true), listenPorts: [UInt16] = [],
                listenQueues: (@Sendable () -> Result<ListenQueues, ListenQueueError>)? = nil,
                virtualInterfaces: (@Sendable () -> Set<String>?)? = nil) {
        self.procRoot = Self.normalized(procRoot)
        self.reader = reader
        self.listenPorts = listenPorts
        paths = Paths(procRoot: self.procRoot)
        let live = Self.readsListenQueues(procRoot: procRoot)
        self.listenQueues = listenQueues ?? (live ? Self.kernelListenQueues(ports: listenPorts) : nil)
        let fromSysfs: @Sendable () -> Set<String>? = { VirtualInterfaces.listed() }
        self.virtualInterfaces = virtualInterfaces ?? (live ? fromSysfs : nil)
    }

    /// Why /proc/pressure can be absent and what turns it on, for every message that says so.
    public static let pressureAbsentReason =
        "a kernel built without PSI, or booted with it off (psi=0, or CONFIG_PSI_DEFAULT_DISABLED): psi=1 on the kernel command line turns it on"
    /// Why a /proc/pressure file can be there and give nothing (refuse reads, or read empty).
    public static let pressureOffReason = "a kernel with PSI built in and turned off at boot (CONFIG_PSI_DEFAULT_DISABLED, "
        + "as RHEL 8's kernels ship, or psi=0): psi=1 on the kernel command line turns it on"

    /// What a pressure file that gives nothing did, said of `path` ("PATH is absent"), and the
    /// host that does so with what turns PSI on.
    public static func pressureAbsence(_ absence: ProcAbsence, of path: String) -> (fact: String, reason: String) {
        switch absence {
        case .noFile: return ("\(path) is absent", pressureAbsentReason)
        case .refused: return ("\(path) refuses reads (\(String(cString: strerror(EOPNOTSUPP))))", pressureOffReason)
        case .empty: return ("\(path) reads empty", pressureOffReason)
        }
    }

    /// How the pressure file `file` (cpu, memory, io) of the /proc tree at `procRoot` gives
    /// nothing, or nil when it gives a reading (or fails some other way, a fault the daemon reports).
    public static func pressureAbsence(procRoot: String, file: String) -> ProcAbsence? {
        let path = normalized(procRoot) + "/pressure/" + file
        do {
            return try ProcFileReader(limit: 64 << 10).read(path).bytes.isEmpty ? .empty : nil
        } catch {
            return error.absence
        }
    }

    /// Whether a sampler of this /proc tree reads the listening sockets by default: only the
    /// live /proc describes the namespace netlink answers for.
    public static func readsListenQueues(procRoot: String) -> Bool {
        normalized(procRoot) == "/proc"
    }

    private static func normalized(_ procRoot: String) -> String {
        procRoot.hasSuffix("/") ? String(procRoot.dropLast()) : procRoot
    }

    public mutating func read(monotonicSeconds now: Double) -> SourceReading {
        var values = [Double](repeating: .nan, count: HostMetric.allCases.count)
        var problems: [SourceProblem] = []
        func set(_ metric: HostMetric, _ value: Double?) {
            if let value { values[metric.slot] = value }
        }
        func load<T>(_ path: String, _ parse: (ProcText) throws(ProcParseError) -> T,
                     missing: ((String, ProcAbsence) -> SourceProblem?)? = nil) -> T? {
            let (value, problem) = reader.parsed(path, parse, missing: missing, emptyIsAbsent: missing != nil)
            if let problem { problems.append(problem) }
            return value
        }

        let before = previous
        let elapsed = before.map { now - $0.seconds } ?? 0
        var current = Counters(seconds: now)

        if let cpu = load(paths.stat, CPUStat.parse) {
            current.cpu = cpu
            set(.procsRunning, Double(cpu.procsRunning))
            set(.procsBlocked, Double(cpu.procsBlocked))
            if let old = before?.cpu, let shares = Self.cpuShares(old, cpu) {
                set(.cpuBusy, shares.busy)
                set(.cpuIowait, shares.iowait)
                set(.cpuSteal, shares.steal)
            }
        }
        if let load = load(paths.loadavg, LoadAverage.parse) {
            set(.load1, load.load1)
            set(.load5, load.load5)
        }
        if let memory = load(paths.meminfo, MemInfo.parse) {
            let total = Double(memory.totalKiB)
            set(.memUsedRatio, min(1, max(0, 1 - Double(memory.availableKiB) / total)))
            let swap = Double(memory.swapTotalKiB)
            set(.swapUsedRatio, swap > 0 ? min(1, max(0, 1 - Double(memory.swapFreeKiB) / swap)) : 0)
        }
        if let cpu = load(paths.pressureCPU, PressureStall.parse, missing: Self.absentPressure) {
            set(.psiCPUSomeAvg10, cpu.someAvg10)
        }
        if let memory = load(paths.pressureMemory, PressureStall.parse, missing: Self.absentPressure) {
            set(.psiMemSomeAvg10, memory.someAvg10)
            set(.psiMemFullAvg10, memory.fullAvg10)
        }
        if let io = load(paths.pressureIO, PressureStall.parse, missing: Self.absentPressure) {
            set(.psiIOSomeAvg10, io.someAvg10)
            set(.psiIOFullAvg10, io.fullAvg10)
        }
        if let net = load(paths.netDev, NetDevStats.parse) {
            let names = net.interfaces.map(\.name)
            if interfaceSelection?.names != names {
                interfaceSelection = (names, VirtualInterfaces.counted(names, virtual: virtualInterfaces?()))
                if listenPorts.isEmpty, virtualInterfaces != nil, let veth = names.first(where: { $0.hasPrefix("veth") }) {
                    problems.append(SourceProblem(kind: .absentFeature, location: "containers", message: Self.containersSeen(veth)))
                }
            }
            let interfaces = zip(net.interfaces, interfaceSelection!.counted).compactMap { $1 ? $0 : nil }
            current.net = interfaces
            if let old = before?.net {
                let pairs = CounterPairs(old: old.map(\.name), new: interfaces.map(\.name))
                set(.netRxBytesPerS, Self.summedRate(old, interfaces, pairs, elapsed) { $0.rxBytes })
                set(.netTxBytesPerS, Self.summedRate(old, interfaces, pairs, elapsed) { $0.txBytes })
                set(.netRxPacketsPerS, Self.summedRate(old, interfaces, pairs, elapsed) { $0.rxPackets })
                set(.netDropsPerS, Self.summedRate(old, interfaces, pairs, elapsed) { $0.rxDrop &+ $0.txDrop })
            }
        }
        if let sockets = load(paths.sockstat, SockStat.parse) {
            set(.tcpTimeWait, Double(sockets.tcpTimeWait))
            set(.tcpOrphan, Double(sockets.tcpOrphan))
        }
        if let snmp = load(paths.snmp, { text throws(ProcParseError) in try ProtocolCounters.counters(text, of: "Tcp", named: Self.tcpCounters) }) {
            if let tcp = snmp {
                current.tcp = tcp
                set(.tcpEstablished, tcp[0].map(Double.init))
                if let old = before?.tcp {
                    set(.tcpActiveOpensPerS, Self.rate(old, tcp, 1, elapsed))
                    set(.tcpPassiveOpensPerS, Self.rate(old, tcp, 2, elapsed))
                    set(.tcpRetransSegsPerS, Self.rate(old, tcp, 3, elapsed))
                }
            } else {
                problems.append(SourceProblem(kind: .failure, location: paths.snmp, message: "\(paths.snmp): no Tcp lines"))
            }
        }
        if let netstat = load(paths.netstat, { text throws(ProcParseError) in try ProtocolCounters.counters(text, of: "TcpExt", named: Self.tcpExtCounters) }) {
            if let ext = netstat {
                current.tcpExt = ext
                if let old = before?.tcpExt {
                    set(.tcpListenOverflowsPerS, Self.rate(old, ext, 0, elapsed))
                    set(.tcpListenDropsPerS, Self.rate(old, ext, 1, elapsed))
                }
            } else {
                problems.append(SourceProblem(kind: .failure, location: paths.netstat, message: "\(paths.netstat): no TcpExt lines"))
            }
        }
        switch listenQueues?() {
        case .success(let queues)? where queues.listeners == 0 && !listenPorts.isEmpty:
            // Not an empty queue: no queue to read. A 0 here would tell the model all is calm.
            problems.append(SourceProblem(kind: .failure, location: "sources.listen_ports", message: Self.noListener(listenPorts)))
        case .success(let queues)?:
            set(.tcpListenQueued, Double(queues.queued))
            set(.tcpListenQueueRatio, queues.fullest)
        case .failure(let error)?:
            problems.append(SourceProblem(kind: .failure, location: "netlink sock_diag", message: error.description))
        case nil:
            break
        }
        if let disks = load(paths.diskstats, DiskStats.parse) {
            let names = disks.devices.map(\.name)
            if diskSelection?.names != names { diskSelection = (names, disks.wholeDiskMask) }
            let whole = zip(disks.devices, diskSelection!.whole).compactMap { $1 ? $0 : nil }
            current.disks = whole
            if let old = before?.disks {
                set(.diskBusyRatio, Self.busiestDisk(old, whole, CounterPairs(old: old.map(\.name), new: whole.map(\.name)), elapsed))
            }
        }
        previous = current
        return SourceReading(values: values, problems: problems)
    }

    /// The Tcp counters read, in the order `Counters.tcp` holds them.
    static let tcpCounters: [StaticString] = ["CurrEstab", "ActiveOpens", "PassiveOpens", "RetransSegs"]
    /// The TcpExt counters read, in the order `Counters.tcpExt` holds them.
    static let tcpExtCounters: [StaticString] = ["ListenOverflows", "ListenDrops"]

    /// Said once (a notice) where containers' veth interfaces show and no `listen_ports` are
    /// named: a shop in a container would be read as calm by the TCP metrics of this namespace.
    static func containersSeen(_ veth: String) -> String {
        "containers run here (\(veth) and maybe more): the TCP metrics and accept queues are of surgewatch's network namespace "
            + "only; if the shop runs in a container with a namespace of its own, name its ports in sources.listen_ports, "
            + "which says when none listens here, and see OPERATING.md, \"A shop in containers\""
    }

    /// What a tick of the shop's ports without a listener says.
    static func noListener(_ ports: [UInt16]) -> String {
        let named = ports.count == 1 ? "port \(ports[0])" : "ports " + ports.map(String.init).joined(separator: ", ")
        return "no socket listens on \(named) (sources.listen_ports) in surgewatch's network namespace, so tcp_listen_queued and "
            + "tcp_listen_queue_ratio stay missing: the shop is down, or listens in a namespace of its own, as in a container "
            + "(OPERATING.md, \"A shop in containers\")"
    }

    private static let absentPressure: @Sendable (String, ProcAbsence) -> SourceProblem? = { path, absence in
        let (fact, reason) = HostSampler.pressureAbsence(absence, of: path)
        return SourceProblem(kind: .absentFeature, location: path, message: "\(fact), pressure metrics stay missing: as on \(reason)")
    }

    /// Shares of CPU time between two reads of /proc/stat. iowait may legitimately step back
    /// (proc(5) says so, on idle CPUs coming out of I/O wait), so single columns are clamped at
    /// zero; only a total that goes backwards (counters reset) makes the shares missing.
    static func cpuShares(_ old: CPUStat, _ new: CPUStat) -> (busy: Double, iowait: Double, steal: Double)? {
        guard new.total > old.total else { return nil }
        func delta(_ path: KeyPath<CPUStat, UInt64>) -> Double {
            new[keyPath: path] >= old[keyPath: path] ? Double(new[keyPath: path] - old[keyPath: path]) : 0
        }
        let total = Double(new.total - old.total)
        let idle = delta(\.idle) + delta(\.iowait)
        return (busy: min(1, max(0, 1 - idle / total)),
                iowait: min(1, delta(\.iowait) / total),
                steal: min(1, delta(\.steal) / total))
    }

    static func rate(_ old: [Int64?], _ new: [Int64?], _ slot: Int, _ seconds: Double) -> Double? {
        guard let before = old[slot], let after = new[slot] else { return nil }
        return counterRate(previous: before, current: after, seconds: seconds)
    }

    /// Sum of per-interface rates over interfaces present in both reads. One interface whose
    /// counter went backwards makes the sum unknowable, so it is missing.
    static func summedRate(
        _ old: [NetDevStats.Interface], _ new: [NetDevStats.Interface], _ pairs: CounterPairs, _ seconds: Double,
        _ counter: (NetDevStats.Interface) -> UInt64
    ) -> Double? {
        var sum = 0.0
        for (index, interface) in new.enumerated() {
            guard let before = pairs.old(of: index).map({ old[$0] }) else { continue }
            guard let rate = counterRate(previous: counter(before), current: counter(interface), seconds: seconds) else {
                return nil
            }
            sum += rate
        }
        return seconds > 0 ? sum : nil
    }

    /// The busiest disk's share of time with I/O in flight, capped at 1 (io_ticks is sampled on
    /// jiffies, so it can run slightly ahead of our clock). A disk that was reset is skipped.
    static func busiestDisk(_ old: [DiskStats.Device], _ new: [DiskStats.Device], _ pairs: CounterPairs, _ seconds: Double) -> Double? {
        var busiest: Double?
        for (index, disk) in new.enumerated() {
            guard let before = pairs.old(of: index).map({ old[$0].ioTicksMs }),
                  let rate = counterRate(previous: before, current: disk.ioTicksMs, seconds: seconds) else { continue }
            busiest = max(busiest ?? 0, min(1, rate / 1000))
        }
        return busiest
    }
}

/// The host's /proc metrics as a `MetricSource`.
public final class HostSource: MetricSource {
    public let id = "host"
    public let metricNames = HostMetric.names
    private let state: Mutex<HostSampler>

    public init(procRoot: String = "/proc", listenPorts: [UInt16] = []) {
        state = Mutex(HostSampler(procRoot: procRoot, listenPorts: listenPorts))
    }

    public func read(monotonicSeconds: Double) async -> SourceReading {
        state.withLock { $0.read(monotonicSeconds: monotonicSeconds) }
    }
}
