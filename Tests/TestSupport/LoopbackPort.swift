#if canImport(Glibc)
import Glibc
#endif

/// Test helpers shared by the test targets (a library of its own: test targets cannot import
/// each other).
public enum LoopbackPort {
    /// A port on 127.0.0.1 nothing listens on: bound to port 0, read back, closed again. A
    /// test hands it to a server it starts, or connects to it to see a refusal.
    public static func unused() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw LoopbackPortError(errno: errno) }
        defer { close(socket) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0,
                                  sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(socket, $0, length) == 0, getsockname(socket, $0, &length) == 0 else {
                    throw LoopbackPortError(errno: errno)
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct LoopbackPortError: Error {
    public let errno: Int32
}
