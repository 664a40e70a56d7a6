import CSampling
import Glibc
import Synchronization

/// The accept queues of the host's listening TCP sockets: connections the kernel completed that
/// the server has not yet accepted. A queue that fills is a server out of workers (or CPU) to
/// accept with; once full, new connections overflow (`tcp_listen_overflows_per_s`). So the
/// fill comes *before* the overflow, which makes it a feature worth predicting from.
public struct ListenQueues: Sendable, Equatable {
    /// Listening sockets seen (IPv4 and IPv6).
    public var listeners: Int
    /// Waiting connections, summed over the sockets (`ss -lnt`'s Recv-Q).
    public var queued: Int
    /// The fullest queue's waiting connections over its backlog limit (Send-Q), 0 ... 1.
    public var fullest: Double

    public init(listeners: Int, queued: Int, fullest: Double) {
        self.listeners = listeners
        self.queued = queued
        self.fullest = fullest
    }

    /// Reads them once from the kernel (a reader of its own; the sampler keeps one open).
    public static func read() throws(ListenQueueError) -> ListenQueues {
        try ListenQueueReader().read().get()
    }

    /// The sockets of netlink reply bytes (tests feed captured replies); nil until the dump's end.
    static func parse(_ bytes: [UInt8], ports: [UInt16] = []) throws(ListenQueueError) -> ListenQueues? {
        var totals = surge_listen_queues()
        var status: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            // Netlink messages hold 4-byte fields: copy into aligned storage first.
            let aligned = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, buffer.count), alignment: 8)
            defer { aligned.deallocate() }
            aligned.copyMemory(from: buffer)
            status = surge_parse_listen_dump(aligned.baseAddress, buffer.count, ports, ports.count, &totals)
        }
        guard status >= 0 else { throw ListenQueueError(errno: -status) }
        return status == 1 ? ListenQueues(totals) : nil
    }

    fileprivate init(_ totals: surge_listen_queues) {
        self.init(listeners: Int(totals.listeners), queued: Int(totals.queued), fullest: min(1, totals.fullest))
    }
}

/// Reads the listening sockets of the daemon's own network namespace from the kernel over
/// sock_diag netlink. The request names only listening sockets, so the kernel does not walk the
/// established ones, however many a busy shop holds (BENCHMARKS.md: 40-60 µs a read, against
/// 3-20 ms for scanning /proc/net/tcp), and both families in one dump where the kernel serves
/// that (one walk of its listening hash instead of two: 23 against 42 µs here). The netlink socket stays open between reads (opening
/// one costs about as much as a dump) and is closed after a failed read, so that a dump cut
/// short cannot leave its remains for the next.
public final class ListenQueueReader: Sendable {
    /// The netlink socket (-1 until opened) and the way of asking that works on this kernel.
    private let state: Mutex<(socket: Int32, dump: surge_listen_dump)>
    /// Only the listeners on these local ports count (`sources.listen_ports`); none: all.
    public let ports: [UInt16]

    public convenience init(ports: [UInt16] = []) {
        self.init(ports: ports, dump: SURGE_LISTEN_DUMP_ANY)
    }

    /// `dump`: how the kernel is asked (one dump for both families where it serves that, else
    /// one per family: `surge_listen_queues_read_by`); tests pin either way.
    init(ports: [UInt16], dump: surge_listen_dump) {
        self.ports = ports
        state = Mutex((socket: -1, dump: dump))
    }

    /// How the next read asks (ANY until a read has found out).
    var dump: surge_listen_dump { state.withLock { $0.dump } }

    deinit {
        state.withLock { if $0.socket >= 0 { close($0.socket) } }
    }

    public func read() -> Result<ListenQueues, ListenQueueError> {
        state.withLock { state in
            if state.socket < 0 {
                let opened = surge_listen_queues_open()
                guard opened >= 0 else { return .failure(ListenQueueError(errno: -opened)) }
                state.socket = opened
            }
            var totals = surge_listen_queues()
            let status = surge_listen_queues_read_by(state.socket, &state.dump, ports, ports.count, &totals)
            guard status == 0 else {
                close(state.socket)
                state.socket = -1
                return .failure(ListenQueueError(errno: -status))
            }
            return .success(ListenQueues(totals))
        }
    }
}

public struct ListenQueueError: Error, Sendable, Equatable, CustomStringConvertible {
    public let errno: Int32
    public var description: String {
        "reading the listening sockets over netlink (sock_diag) failed: \(String(cString: strerror(errno)))"
    }
}
