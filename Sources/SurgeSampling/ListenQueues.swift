import CSockDiag
import Glibc

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

    /// Reads them from the kernel for the daemon's own network namespace (sock_diag netlink;
    /// the request names only listening sockets, so the kernel does not walk the established
    /// ones, however many a busy shop holds). Throws the errno's description.
    public static func read() throws(ListenQueueError) -> ListenQueues {
        var totals = surge_listen_queues()
        let status = surge_read_listen_queues(&totals)
        guard status == 0 else { throw ListenQueueError(errno: -status) }
        return ListenQueues(totals)
    }

    /// The sockets of netlink reply bytes (tests feed captured replies); nil until the dump's end.
    static func parse(_ bytes: [UInt8]) throws(ListenQueueError) -> ListenQueues? {
        var totals = surge_listen_queues()
        var status: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            // Netlink messages hold 4-byte fields: copy into aligned storage first.
            let aligned = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, buffer.count), alignment: 8)
            defer { aligned.deallocate() }
            aligned.copyMemory(from: buffer)
            status = surge_parse_listen_dump(aligned.baseAddress, buffer.count, &totals)
        }
        guard status >= 0 else { throw ListenQueueError(errno: -status) }
        return status == 1 ? ListenQueues(totals) : nil
    }

    private init(_ totals: surge_listen_queues) {
        self.init(listeners: Int(totals.listeners), queued: Int(totals.queued), fullest: min(1, totals.fullest))
    }
}

public struct ListenQueueError: Error, Sendable, Equatable, CustomStringConvertible {
    public let errno: Int32
    public var description: String {
        "reading the listening sockets over netlink (sock_diag) failed: \(String(cString: strerror(errno)))"
    }
}
