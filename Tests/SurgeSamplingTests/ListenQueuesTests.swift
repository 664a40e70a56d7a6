import Foundation
import Glibc
import Testing
import CSampling
@testable import SurgeSampling

/// The accept queues of listening sockets, from the kernel's sock_diag netlink: replies captured
/// from a real kernel (Fixtures/sock_diag, made by capture.py there), and the live kernel with a
/// listener of our own. Serialized: one test makes the one-dump request unknown to the kernel.
@Suite(.serialized) struct ListenQueuesTests {
    static let fixtures = Bundle.module.resourcePath! + "/Fixtures/sock_diag"

    func captured(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + name)))
    }

    /// At capture, `ss -lnt4` showed 0.0.0.0:2024 (Recv-Q 0, Send-Q 128) and 127.0.0.1 with
    /// backlog 4 holding 3 unaccepted connections.
    @Test func aCapturedDumpGivesTheQueuesSsShowed() throws {
        let queues = try ListenQueues.parse(try captured("listen-ipv4.bin"))
        #expect(queues == ListenQueues(listeners: 2, queued: 3, fullest: 0.75))
    }

    /// `sources.listen_ports`: at capture the loaded listener was 127.0.0.1:47417 (capture.py).
    @Test func onlyTheListenersOnTheChosenPortsCount() throws {
        let bytes = try captured("listen-ipv4.bin")
        #expect(try ListenQueues.parse(bytes, ports: [2024]) == ListenQueues(listeners: 1, queued: 0, fullest: 0))
        #expect(try ListenQueues.parse(bytes, ports: [47417, 80]) == ListenQueues(listeners: 1, queued: 3, fullest: 0.75))
        #expect(try ListenQueues.parse(bytes, ports: [80]) == ListenQueues(listeners: 0, queued: 0, fullest: 0))
    }

    @Test func aDumpCutBeforeItsEndIsNotFinished() throws {
        let bytes = try captured("listen-ipv4.bin")
        // The last message is NLMSG_DONE (20 bytes): without it, more is to come.
        #expect(try ListenQueues.parse(Array(bytes.dropLast(20))) == nil)
    }

    @Test func aMessageCutInTheMiddleIsMalformed() throws {
        let bytes = try captured("listen-ipv4.bin")
        #expect(throws: ListenQueueError(errno: EBADMSG)) { try ListenQueues.parse(Array(bytes.prefix(40))) }
    }

    @Test func theKernelsErrorIsPassedOn() throws {
        let error = #expect(throws: ListenQueueError.self) { try ListenQueues.parse(try captured("error-einval.bin")) }
        #expect(error?.errno == EINVAL)
        #expect(error?.description.contains("Invalid argument") == true)
    }

    @Test func theLiveKernelShowsConnectionsWaitingForAccept() throws {
        let server = try LoopbackListener(family: AF_INET, backlog: 4)
        let idle = try ListenQueues.read()
        #expect(idle.listeners >= 1)
        // Loopback handshakes complete in the kernel: the connections wait in our queue.
        let clients = try (0..<3).map { _ in try server.connectClient() }
        defer { clients.forEach { close($0) } }
        let waiting = try ListenQueues.read()
        #expect(waiting.queued >= 3)
        #expect(waiting.fullest >= 0.75, "3 of a backlog of 4")
        // Our port alone: exactly our listener, whatever else listens meanwhile.
        let ourPort = ListenQueueReader(ports: [server.port])
        #expect(try ourPort.read().get() == ListenQueues(listeners: 1, queued: 3, fullest: 0.75))
        // Accepted, the three leave our queue. (Read on our port: other tests' listeners may
        // gain waiting connections meanwhile, so the host's sum need not fall; it once rose.)
        for _ in 0..<3 { close(accept(server.fd, nil, nil)) }
        #expect(try ourPort.read().get() == ListenQueues(listeners: 1, queued: 0, fullest: 0))
    }

    /// The daemon asks for both families in one dump (one walk of the kernel's listening hash);
    /// asked that way, or family by family, the kernel must show the same listeners: an IPv4 one
    /// and an IPv6-only one, each with a connection waiting.
    @Test func oneDumpForBothFamiliesSeesWhatOnePerFamilySees() throws {
        let ipv4 = try LoopbackListener(family: AF_INET, backlog: 8)
        let ipv6 = try LoopbackListener(family: AF_INET6, backlog: 4)
        let clients = [try ipv4.connectClient(), try ipv6.connectClient(), try ipv6.connectClient()]
        defer { clients.forEach { close($0) } }
        let ports = [ipv4.port, ipv6.port]
        let expected = ListenQueues(listeners: 2, queued: 3, fullest: 0.5)
        #expect(try ListenQueueReader(ports: ports, dump: SURGE_LISTEN_DUMP_BOTH_FAMILIES).read().get() == expected)
        #expect(try ListenQueueReader(ports: ports, dump: SURGE_LISTEN_DUMP_EACH_FAMILY).read().get() == expected)
        #expect(try ListenQueueReader(ports: ports).read().get() == expected)
        #expect(try ListenQueueReader(ports: [ipv6.port], dump: SURGE_LISTEN_DUMP_BOTH_FAMILIES).read().get()
            == ListenQueues(listeners: 1, queued: 2, fullest: 0.5))
        // A reader left to choose settles on the one dump once the kernel has served it.
        let choosing = ListenQueueReader(ports: ports)
        #expect(choosing.dump == SURGE_LISTEN_DUMP_ANY)
        #expect(try choosing.read().get() == expected)
        #expect(choosing.dump == SURGE_LISTEN_DUMP_BOTH_FAMILIES)
    }

    /// A kernel that refuses the one-dump request (here: a message type it does not know, which
    /// it refuses the same way) is asked family by family, and the reader keeps to that.
    @Test func aKernelRefusingTheOneDumpIsAskedFamilyByFamily() throws {
        let ipv4 = try LoopbackListener(family: AF_INET, backlog: 8)
        let ipv6 = try LoopbackListener(family: AF_INET6, backlog: 4)
        let client = try ipv6.connectClient()
        defer { close(client) }
        let ports = [ipv4.port, ipv6.port]
        let refused = ListenQueueReader(ports: ports, dump: SURGE_LISTEN_DUMP_BOTH_FAMILIES)
        let choosing = ListenQueueReader(ports: ports)
        surge_listen_set_one_dump_type(0x3f0)
        defer { surge_listen_set_one_dump_type(0) }
        #expect(throws: ListenQueueError(errno: EINVAL)) { try refused.read().get() }
        #expect(try choosing.read().get() == ListenQueues(listeners: 2, queued: 1, fullest: 0.25))
        #expect(choosing.dump == SURGE_LISTEN_DUMP_EACH_FAMILY)
        #expect(try choosing.read().get() == ListenQueues(listeners: 2, queued: 1, fullest: 0.25))
    }
}

/// A listening TCP socket on loopback (127.0.0.1, or ::1 with IPV6_V6ONLY) at a port the kernel
/// picks; closed with the value.
final class LoopbackListener {
    let fd: Int32
    let family: Int32
    let port: UInt16
    private var address: sockaddr_storage

    init(family: Int32, backlog: Int32) throws {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        var address = sockaddr_storage()
        if family == AF_INET6 {
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
            withUnsafeMutableBytes(of: &address) { raw in
                let six = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                six.pointee.sin6_family = sa_family_t(AF_INET6)
                six.pointee.sin6_addr = in6addr_loopback
            }
        } else {
            withUnsafeMutableBytes(of: &address) { raw in
                let four = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                four.pointee.sin_family = sa_family_t(AF_INET)
                four.pointee.sin_addr.s_addr = inet_addr("127.0.0.1")
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, backlog) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { close(fd); throw POSIXError(.init(rawValue: errno)!) }
        self.fd = fd
        self.family = family
        self.address = address
        port = withUnsafeBytes(of: &address) { raw in
            family == AF_INET6 ? UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
                : UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }

    /// A client connected to it; loopback handshakes complete in the kernel, so the connection
    /// waits in the accept queue until accepted.
    func connectClient() throws -> Int32 {
        let client = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        let length = socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
        }
        guard client >= 0, connected == 0 else { close(client); throw POSIXError(.init(rawValue: errno)!) }
        return client
    }

    deinit { close(fd) }
}
