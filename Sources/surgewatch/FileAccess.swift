import ArgumentParser
import Glibc
import SurgeJournal
import SurgeSampling
import SurgeStore

/// Whole-file reads and atomic writes for the offline tools (replay, train, simulate). The
/// path "-" is standard input for a read and standard output for a write, as Unix tools take
/// it: `surgewatch export --output - | surgewatch replay --input - --output - | …`.
enum FileAccess {
    static let standardStream = "-"

    /// How messages name `path`: "-" as the stream it stands for.
    static func name(_ path: String, writing: Bool = false) -> String {
        path == standardStream ? (writing ? "standard output" : "standard input") : path
    }

    /// A tool's line about its work: on stdout, or on stderr when `output`, what the tool
    /// writes, went to stdout itself.
    static func report(_ line: String, besides output: String) {
        if output == standardStream { writeAll(line + "\n", to: STDERR_FILENO) } else { print(line) }
    }

    static func read(_ path: String) throws -> [UInt8] {
        if path == standardStream { return try readStandardInput() }
        do {
            return try ProcFileReader(limit: 1 << 31).read(path).bytes
        } catch {
            throw ToolFailure("\(error)")
        }
    }

    /// Writes `bytes` to `path` through a temporary file and rename, so a reader (or a crash)
    /// never sees half a file and an old file survives a failed write.
    static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { emit in try emit(bytes) }
    }

    /// The same, for output made piece by piece: `produce` hands each piece to `emit`, which
    /// writes it to the temporary file at once, so a long output never sits in memory whole.
    /// A path that is there and not a regular file (/dev/null, a FIFO, a symbolic link) is
    /// written through as it is: a rename would put a regular file in its place (a
    /// `replay --output /dev/null` once replaced the machine's /dev/null).
    static func write(to path: String, _ produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws {
        if path == standardStream {
            try produce { piece in
                if let failure = writeAll(piece, to: STDOUT_FILENO) { throw ToolFailure("standard output: \(String(cString: strerror(failure)))") }
            }
            return
        }
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            try writeThrough(to: path, produce)
            return
        }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ToolFailure("\(temporary): \(String(cString: strerror(errno)))") }
        do {
            try produce { piece in
                if let failure = writeAll(piece, to: fd) { throw ToolFailure("\(path): \(String(cString: strerror(failure)))") }
            }
            if fsync(fd) != 0 { throw ToolFailure("\(path): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw ToolFailure("\(path): \(String(cString: strerror(code)))")
        }
    }
}

extension FileAccess {
    /// All of standard input, up to the 2 GiB a file may hold here.
    private static func readStandardInput() throws -> [UInt8] {
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = Glibc.read(STDIN_FILENO, &buffer, buffer.count)
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw ToolFailure("standard input: \(String(cString: strerror(errno)))")
            }
            bytes += buffer[..<count]
            guard bytes.count <= 1 << 31 else { throw ToolFailure("standard input: more than 2 GiB") }
        }
    }

    private static func writeThrough(to path: String, _ produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ToolFailure("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try produce { piece in
            if let failure = writeAll(piece, to: fd) { throw ToolFailure("\(path): \(String(cString: strerror(failure)))") }
        }
    }
}

/// A tool's error: printed to stderr as it is, exit 1.
struct ToolFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, printing a ToolFailure or a located error to stderr and exiting 1.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        writeAll("surgewatch: \(toolMessage(error))\n", to: STDERR_FILENO)
        throw ExitCode(1)
    }
}

/// An error as a tool says it: a damaged database with what the daemon does about it, since a
/// tool meets the damage the daemon would meet at its next start.
func toolMessage(_ error: Error) -> String {
    if let error = error as? SQLiteError, error.isDamaged {
        return StoreError.damaged(path: error.path ?? error.context, reason: error.message).description
    }
    return (error as? CustomStringConvertible)?.description ?? "\(error)"
}
