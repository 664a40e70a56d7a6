import Foundation
import Synchronization

/// A real sd_notify listener: an AF_UNIX datagram socket bound to a path the daemon gets as
/// NOTIFY_SOCKET, exactly what systemd provides to a Type=notify service. Like systemd it reads
/// continuously: Linux queues only net.unix.max_dgram_qlen (10) unread datagrams, after which
/// sd_notify blocks the sender.
final class NotifySocket: Sendable {
    let path: String
    private let descriptor: Int32
    private let received = Mutex<[String]>([])
    private let closed = Mutex(false)

    /// `abstract`: bound to a name in the abstract namespace, which NOTIFY_SOCKET spells "@name"
    /// (systemd gives some services that form), rather than to a file path.
    init(abstract: Bool = false) throws {
        // sun_path holds 108 bytes; keep the path short.
        let name = "sw-notify-\(UUID().uuidString.prefix(8))"
        path = abstract ? "@" + name : "/tmp/" + name
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // An abstract name is a NUL and the name's bytes, its length exactly that.
        let pathBytes = abstract ? [0] + Array(name.utf8) : Array(path.utf8) + [0]
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = abstract ? MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count : MemoryLayout<sockaddr_un>.size
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(length))
            }
        }
        guard result == 0 else { throw POSIXError(.init(rawValue: errno)!) }
        // The reader holds only a weak reference, so `deinit` runs when the test lets go of
        // the socket, and closes and unlinks it.
        Thread { [weak self] in
            while let socket = self, !socket.closed.withLock({ $0 }) {
                socket.drain()
                usleep(5_000)
            }
        }.start()
    }

    /// Every datagram so far, draining the socket first.
    var messages: [String] {
        drain()
        return received.withLock { $0 }
    }

    /// Each datagram's newline-separated assignments ("STATUS=…", "WATCHDOG=1").
    var assignments: [[String]] {
        messages.map { $0.split(separator: "\n").map(String.init) }
    }

    /// Under the lock from `recv` to the append: the reader thread and a test's read drain side
    /// by side, and a datagram the thread had taken but not yet kept was missing from the
    /// test's read (the daemon's last STOPPING=1, once in a CI run).
    private func drain() {
        let descriptor = descriptor
        received.withLock { received in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                guard count > 0 else { return }
                received.append(String(decoding: buffer[..<count], as: UTF8.self))
            }
        }
    }

    /// Waits until some datagram satisfies `match`.
    @discardableResult
    func waitFor(_ timeout: Duration = .seconds(10), _ match: (String) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if messages.contains(where: match) { return true }
            usleep(20_000)
        }
        return messages.contains(where: match)
    }

    deinit {
        closed.withLock { $0 = true }
        close(descriptor)
        if path.hasPrefix("/") { unlink(path) }
    }
}
