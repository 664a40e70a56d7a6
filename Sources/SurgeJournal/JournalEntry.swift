import CSystemd
import Glibc

/// Structured journal entries through `sd_journal_sendv(3)`: each field is one `NAME=value`
/// iovec, so values may hold newlines. (The variadic `sd_journal_send` cannot be called from
/// Swift.)
public enum JournalEntry {
    /// Where journald listens for native entries.
    public static let socketPath = "/run/systemd/journal/socket"

    /// Whether journald listens here. `sd_journal_sendv` reports success even when the socket
    /// file is missing, so this is checked rather than trusted from the return code.
    public static func isAvailable(socket path: String = socketPath) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Sends one entry; throws when no journald listens at `socket` (`sd_journal_sendv` would
    /// report success and drop the entry) or with the errno text when journald refused it.
    public static func send(_ fields: [(name: String, value: String)], socket: String = socketPath) throws(JournalError) {
        guard isAvailable(socket: socket) else { throw .unavailable(socket: socket) }
        // Each field copied into its own buffer that outlives the call.
        var buffers: [UnsafeMutableRawBufferPointer] = []
        defer { buffers.forEach { $0.deallocate() } }
        var vectors: [iovec] = []
        for field in fields {
            let bytes = Array("\(field.name)=\(field.value)".utf8)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            buffer.copyBytes(from: bytes)
            buffers.append(buffer)
            vectors.append(iovec(iov_base: buffer.baseAddress, iov_len: bytes.count))
        }
        let result = sd_journal_sendv(&vectors, Int32(vectors.count))
        guard result == 0 else { throw .sendFailed(errno: -result) }
    }

    /// Journal field names: upper-case letters, digits and underscores, not leading with `_`
    /// (journald drops anything else). Metadata keys are mapped to that form.
    public static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().unicodeScalars.map { scalar -> Character in
            (("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)) ? Character(scalar) : "_"
        })
        while name.hasPrefix("_") { name.removeFirst() }
        return name.isEmpty ? "FIELD" : name
    }
}

public enum JournalError: Error, Equatable, CustomStringConvertible, Sendable {
    case unavailable(socket: String)
    case sendFailed(errno: Int32)

    public var description: String {
        switch self {
        case .unavailable(let socket): return "journald is not listening (no socket at \(socket))"
        case .sendFailed(let code): return "journald refused the entry: \(String(cString: strerror(code)))"
        }
    }
}
