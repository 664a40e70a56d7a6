import Glibc

/// The service manager's notification socket, kept open. sd_notify(3) opens a socket, sends
/// one message and closes it each time; the daemon sends a message every tick, so it keeps one
/// socket and sends each message to NOTIFY_SOCKET's address. Unconnected: a manager that made
/// its socket anew at the same address (after `systemctl daemon-reexec`) is still reached.
///
/// Only the forms systemd gives a service, a path ("/run/systemd/notify") or an abstract name
/// ("@name"); any other (vsock, say) is nil, and those messages go through sd_notify.
final class NotifyChannel: @unchecked Sendable {
    // Written once in init, read only after: safe to share.
    private let descriptor: Int32
    private var address = sockaddr_un()
    private let length: socklen_t

    init?(notifySocket value: String) {
        let bytes = Array(value.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@") else { return nil }
        let abstract = first == UInt8(ascii: "@")
        // A path ends in a NUL within sun_path; an abstract name is its bytes exactly, the first
        // of them NUL instead of "@".
        guard bytes.count + (abstract ? 0 : 1) <= MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            if abstract { raw[0] = 0 }
        }
        length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Sends one datagram; false when it was not sent (nobody listens, the queue is full).
    /// Never waits: a manager that stopped reading loses a status line, it does not stall a tick.
    func send(_ message: String) -> Bool {
        var target = address
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), socketAddress, length) }
            }
        }
        return sent == bytes.count
    }
}
