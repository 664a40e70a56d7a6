/// The host metrics surgewatch reads from /proc, named as in CONTRACTS.md. The order here is the
/// order of columns in samples, tick lines and traces.
public enum HostMetric: String, CaseIterable, Sendable {
    case cpuBusy = "cpu_busy"
    case cpuIowait = "cpu_iowait"
    case cpuSteal = "cpu_steal"
    case load1 = "load1"
    case load5 = "load5"
    case procsRunning = "procs_running"
    case procsBlocked = "procs_blocked"
    case memUsedRatio = "mem_used_ratio"
    case swapUsedRatio = "swap_used_ratio"
    case psiCPUSomeAvg10 = "psi_cpu_some_avg10"
    case psiMemSomeAvg10 = "psi_mem_some_avg10"
    case psiMemFullAvg10 = "psi_mem_full_avg10"
    case psiIOSomeAvg10 = "psi_io_some_avg10"
    case psiIOFullAvg10 = "psi_io_full_avg10"
    case netRxBytesPerS = "net_rx_bytes_per_s"
    case netTxBytesPerS = "net_tx_bytes_per_s"
    case netRxPacketsPerS = "net_rx_packets_per_s"
    case netDropsPerS = "net_drops_per_s"
    case tcpEstablished = "tcp_established"
    case tcpTimeWait = "tcp_time_wait"
    case tcpOrphan = "tcp_orphan"
    case tcpActiveOpensPerS = "tcp_active_opens_per_s"
    case tcpPassiveOpensPerS = "tcp_passive_opens_per_s"
    case tcpRetransSegsPerS = "tcp_retrans_segs_per_s"
    case tcpListenOverflowsPerS = "tcp_listen_overflows_per_s"
    case tcpListenDropsPerS = "tcp_listen_drops_per_s"
    /// From netlink (sock_diag), not /proc: see `ListenQueues`.
    case tcpListenQueued = "tcp_listen_queued"
    case tcpListenQueueRatio = "tcp_listen_queue_ratio"
    case diskBusyRatio = "disk_busy_ratio"

    public static let names: [String] = allCases.map(\.rawValue)
    /// Read from the kernel over netlink rather than from `proc_root`: only when that is /proc
    /// (see HostSampler), missing otherwise.
    public static let fromNetlink: Set<HostMetric> = [.tcpListenQueued, .tcpListenQueueRatio]
    /// The /proc/pressure file (cpu, memory, io) a metric is read from; nil for the others.
    public static func pressureFile(of metric: String) -> String? {
        switch HostMetric(rawValue: metric) {
        case .psiCPUSomeAvg10: "cpu"
        case .psiMemSomeAvg10, .psiMemFullAvg10: "memory"
        case .psiIOSomeAvg10, .psiIOFullAvg10: "io"
        default: nil
        }
    }
    /// Position of the metric in `names` (and in a host reading's values): its place among the
    /// cases (a test holds the two together). A switch, not a dictionary: a raw-valued enum
    /// hashes its string, and the tick sets every metric.
    public var slot: Int {
        switch self {
        case .cpuBusy: 0
        case .cpuIowait: 1
        case .cpuSteal: 2
        case .load1: 3
        case .load5: 4
        case .procsRunning: 5
        case .procsBlocked: 6
        case .memUsedRatio: 7
        case .swapUsedRatio: 8
        case .psiCPUSomeAvg10: 9
        case .psiMemSomeAvg10: 10
        case .psiMemFullAvg10: 11
        case .psiIOSomeAvg10: 12
        case .psiIOFullAvg10: 13
        case .netRxBytesPerS: 14
        case .netTxBytesPerS: 15
        case .netRxPacketsPerS: 16
        case .netDropsPerS: 17
        case .tcpEstablished: 18
        case .tcpTimeWait: 19
        case .tcpOrphan: 20
        case .tcpActiveOpensPerS: 21
        case .tcpPassiveOpensPerS: 22
        case .tcpRetransSegsPerS: 23
        case .tcpListenOverflowsPerS: 24
        case .tcpListenDropsPerS: 25
        case .tcpListenQueued: 26
        case .tcpListenQueueRatio: 27
        case .diskBusyRatio: 28
        }
    }
}
