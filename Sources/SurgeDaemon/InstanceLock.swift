import Glibc
import SurgeStore

/// One daemon per database: a second `surgewatch run` on the same file (a hand-started copy
/// beside the service, say) would interleave its ticks with the first's, take over and resolve
/// its alerts, and count its learning twice. So a start holds an exclusive `flock` on
/// `<database>.lock` for its whole life, and a start that cannot get it refuses to run,
/// naming the process that holds it.
///
/// flock, not the database file itself: SQLite's own POSIX locks on the file come and go with
/// each transaction, and a damaged file is moved aside while the daemon runs. The lock goes
/// with the process, however it ends (kill -9 included); the file stays and is reused.
public final class InstanceLock {
    private let descriptor: Int32

    /// The lock for the database at `databasePath`, or why this start must not run.
    /// `takesForget`: the holder is a daemon that takes `forget`'s requests (SIGUSR1), said in
    /// the file; not `forget` itself, which the signal would end.
    public init(databasePath: String, takesForget: Bool = false) throws(InstanceLockError) {
        let path = databasePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.pid(in: fd)
            close(fd)
            if code == EWOULDBLOCK { throw .held(database: databasePath, pid: holder) }
            throw .cannotOpen(path: path, reason: String(cString: strerror(code)))
        }
        // The holder's pid, for the message a second start gives, and that it takes `forget`'s
        // requests (a surgewatch from before them would die of the signal that asks).
        let text = Array("\(getpid())\n\(takesForget ? ForgetRequest.lockToken + "\n" : "")".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Whether the daemon holding the lock on `databasePath` takes `forget`'s requests: its
    /// lock file names the token after its pid.
    public static func holderTakesForget(databasePath: String) -> Bool {
        let fd = open(databasePath + ".lock", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return lines(in: fd).dropFirst().contains(ForgetRequest.lockToken)
    }

    private static func pid(in fd: Int32) -> Int32? {
        lines(in: fd).first.flatMap { Int32($0) }
    }

    /// The lock file's lines: the holder's pid, then what it takes (`holderTakesForget`).
    private static func lines(in fd: Int32) -> [String] {
        var bytes = [UInt8](repeating: 0, count: 128)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return [] }
        return String(decoding: bytes[..<count], as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

public enum InstanceLockError: Error, CustomStringConvertible {
    case held(database: String, pid: Int32?)
    case cannotOpen(path: String, reason: String)

    var isHeld: Bool {
        if case .held = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .held(let database, let pid):
            return "another surgewatch\(pid.map { " (pid \($0))" } ?? "") is running on the database \(database): "
                + "stop it first (systemctl stop surgewatch), or give this one its own --state-dir"
        case .cannotOpen(let path, let reason):
            return "cannot take the lock \(path): \(reason)"
        }
    }
}
