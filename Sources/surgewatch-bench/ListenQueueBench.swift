import ArgumentParser
import Glibc
import SurgeSampling

/// What reading the listening sockets' queues costs each tick, by sock_diag netlink (what the
/// daemon does) against the obvious alternative, scanning /proc/net/tcp and tcp6 for LISTEN
/// lines, with `connections` established loopback connections open: a busy shop holds many,
/// and /proc/net/tcp prints every one of them while netlink's request names listeners only.
struct ListenQueueBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen-queues",
        abstract: "CPU per read of the listening sockets' accept queues: sock_diag netlink against /proc/net/tcp.")

    @Option(help: "Established loopback connections to hold open while measuring (two sockets each).")
    var connections = 0

    @Option(help: "Reads to measure for each method (after 20 warm-up reads).")
    var reads = 2_000

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let held = try LoopbackConnections(count: connections)
        defer { held.close() }
        var netlinkCPU: [Double] = [], procCPU: [Double] = []
        var agree = true
        let reader = ListenQueueReader()  // kept open, as the daemon keeps it
        for read in 0..<(reads + 20) {
            let start = threadCPUMicroseconds()
            let queues = try reader.read().get()
            let middle = threadCPUMicroseconds()
            let scanned = try ProcNetTCPListenScan.read()
            let end = threadCPUMicroseconds()
            agree = agree && queues.listeners == scanned.listeners
            if read >= 20 {
                netlinkCPU.append(middle - start)
                procCPU.append(end - middle)
            }
        }
        let netlink = Summary(netlinkCPU), proc = Summary(procCPU)
        if json {
            print("""
            {"bench":"listen-queues","connections":\(connections),"reads":\(reads),"listeners_agree":\(agree),\
            "netlink_cpu_us_median":\(format(netlink.median)),"netlink_cpu_us_p99":\(format(netlink.p99)),\
            "proc_net_tcp_cpu_us_median":\(format(proc.median)),"proc_net_tcp_cpu_us_p99":\(format(proc.p99))}
            """)
        } else {
            print("listening sockets' queues, \(reads) reads each, \(connections) established loopback connections open")
            print("  sock_diag netlink: median \(format(netlink.median)) µs CPU, p99 \(format(netlink.p99)) µs")
            print("  /proc/net/tcp{,6}: median \(format(proc.median)) µs CPU, p99 \(format(proc.p99)) µs")
            print("  both saw the same listeners every read: \(agree)")
        }
    }
}

/// The peer: read /proc/net/tcp and /proc/net/tcp6 whole and count the LISTEN lines (state 0A)
/// and their rx_queue, as a reader without netlink would. It cannot give the fill (the file
/// has no backlog limit for a listener), only the count.
enum ProcNetTCPListenScan {
    struct Counts { var listeners = 0, queued = 0 }

    static func read() throws -> Counts {
        var counts = Counts()
        for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let text = try ProcFileReader().read(path)
            text.forEachLine { number, line in
                // "  sl  local_address rem_address   st tx_queue:rx_queue ..."
                let fields = procFields(line)
                guard number > 1, fields.count > 4, fields[3].elementsEqual("0A".utf8) else { return true }
                counts.listeners += 1
                if let colon = fields[4].firstIndex(of: UInt8(ascii: ":")),
                   let queued = Int(String(decoding: fields[4][fields[4].index(after: colon)...], as: UTF8.self), radix: 16) {
                    counts.queued += queued
                }
                return true
            }
        }
        return counts
    }
}

/// `count` connections to a listener on 127.0.0.1, accepted: 2 × count established sockets.
final class LoopbackConnections {
    private var descriptors: [Int32] = []

    init(count: Int) throws {
        guard count > 0 else { return }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, rlim_t(2 * count + 64)))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        descriptors.append(server)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(server, raw, length) == 0 && listen(server, 4096) == 0 && getsockname(server, raw, &length) == 0
            }
        }
        guard bound else { throw ValidationError("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))") }
        for _ in 0..<count {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) == 0 }
            }
            guard client >= 0, connected else { throw ValidationError("connection \(descriptors.count / 2 + 1) failed: \(String(cString: strerror(errno)))") }
            let accepted = accept(server, nil, nil)
            descriptors += [client, accepted]
        }
    }

    func close() { descriptors.forEach { _ = Glibc.close($0) } }
}
