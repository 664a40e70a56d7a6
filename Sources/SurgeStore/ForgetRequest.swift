import Glibc

/// How `surgewatch forget` asks a running daemon to forget a span, rather than have the
/// operator stop it: the daemon holds the learned weights and the labelled windows of the
/// span in memory, and would save them again at its next checkpoint, so it must be the one to
/// forget. The request is a file beside the database ("<from> <to>", Unix seconds), the
/// daemon is woken by SIGUSR1 (its lock file says that it takes one), and its answer is a file
/// beside it, one line. Files, not a table: a new table would make the database one that an
/// earlier surgewatch refuses to open.
public enum ForgetRequest {
    /// What a daemon that takes requests writes on the second line of its lock file.
    public static let lockToken = "forget-on-sigusr1"

    public static func requestPath(database: String) -> String { database + ".forget" }
    public static func answerPath(database: String) -> String { database + ".forgotten" }

    public static func requestText(from: Double, to: Double) -> String { "\(from) \(to)\n" }

    /// The span a request file asks for, or nil when its text is not one.
    public static func span(in text: String) -> (from: Double, to: Double)? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 2, let from = Double(parts[0]), let to = Double(parts[1]),
              from.isFinite, to.isFinite, from < to else { return nil }
        return (from, to)
    }

    /// Writes `text` to `path` whole or not at all (a temporary file renamed over it), readable
    /// by all, so a reader never sees half a request.
    public static func write(_ text: String, to path: String) throws(ForgetRequestError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .init(path: temporary, reason: String(cString: strerror(errno))) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let writeError = errno
        close(fd)
        guard written == bytes.count else {
            unlink(temporary)
            throw .init(path: temporary, reason: written < 0 ? String(cString: strerror(writeError)) : "short write")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .init(path: path, reason: reason)
        }
    }

    /// The file's text, or nil when it is not there (or cannot be read).
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

public struct ForgetRequestError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
