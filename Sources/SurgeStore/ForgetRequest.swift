import Glibc
import SurgeSampling

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
    /// by all whatever the umask: the request is written by root for the unit's dynamic user,
    /// the answer by that user for whoever ran `forget`.
    public static func write(_ text: String, to path: String) throws(ForgetRequestError) {
        if let failure = replaceFile(path, with: Array(text.utf8)) { throw .init(description: failure.description) }
    }

    /// The file's text, or nil when it is not there; a file that is there but cannot be read
    /// (a request the daemon's user may not read) is an error that says why.
    public static func read(_ path: String) throws(ForgetRequestError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .init(description: "\(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .init(description: "\(path): \(String(cString: strerror(errno)))")
            }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What went wrong writing a request or an answer, naming the file.
public struct ForgetRequestError: Error, CustomStringConvertible {
    public var description: String
}
