import Foundation
import Glibc
import Testing
@testable import SurgeSampling

/// The accept queues of listening sockets, from the kernel's sock_diag netlink: replies captured
/// from a real kernel (Fixtures/sock_diag, made by capture.py there), and the live kernel with a
/// listener of our own.
@Suite struct ListenQueuesTests {
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
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(server >= 0)
        defer { close(server) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                #expect(bind(server, raw, length) == 0)
                #expect(listen(server, 4) == 0)
                #expect(getsockname(server, raw, &length) == 0)
            }
        }
        let idle = try ListenQueues.read()
        #expect(idle.listeners >= 1)
        // Loopback handshakes complete in the kernel: the connections wait in our queue.
        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        for _ in 0..<3 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            clients.append(client)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
            }
            #expect(connected == 0)
        }
        let waiting = try ListenQueues.read()
        #expect(waiting.queued >= 3)
        #expect(waiting.fullest >= 0.75, "3 of a backlog of 4")
        // Our port alone: exactly our listener, whatever else listens meanwhile.
        let ourPort = ListenQueueReader(ports: [UInt16(bigEndian: address.sin_port)])
        #expect(try ourPort.read().get() == ListenQueues(listeners: 1, queued: 3, fullest: 0.75))
        // Accepted, the three leave our queue. (Read on our port: other tests' listeners may
        // gain waiting connections meanwhile, so the host's sum need not fall; it once rose.)
        for _ in 0..<3 { close(accept(server, nil, nil)) }
        #expect(try ourPort.read().get() == ListenQueues(listeners: 1, queued: 0, fullest: 0))
    }
}
