import CSampling
import Glibc
import Synchronization

/// Why a /proc file could not be read at all (as opposed to read but malformed).
public enum ProcReadError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file does not exist: on this kernel a feature (PSI, say) is absent. Not a fault.
    case missing(path: String)
    case unreadable(path: String, errno: Int32)
    case tooLarge(path: String, limit: Int)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path): no such file"
        case .unreadable(let path, let code): return "\(path): \(String(cString: strerror(code)))"
        case .tooLarge(let path, let limit): return "\(path): larger than \(limit) bytes, not read"
        }
    }
}

/// Reads /proc files with plain syscalls into a reused buffer. /proc reports a size of 0 (or a
/// wrong one) for its files, so we read to EOF and cap the size instead of trusting `stat`.
///
/// `keepingProcFilesOpen`: a file on procfs stays open and is read again from offset 0 at the
/// next read, which makes the kernel generate it anew (as Netdata reads /proc). Not opening and
/// closing the eleven files of a host tick cut the daemon's CPU per tick by 10-25 %
/// (BENCHMARKS.md). Files on any other file system (fixture trees, cgroupfs, configs) are
/// opened at each read, so a file replaced between reads is seen replaced.
public struct ProcFileReader: Sendable {
    public let limit: Int
    private let kept: KeptProcFiles?

    public init(limit: Int = 4 << 20, keepingProcFilesOpen: Bool = false) {
        self.limit = limit
        kept = keepingProcFilesOpen ? KeptProcFiles() : nil
    }

    /// The procfs files this reader holds open: their descriptors by path.
    var keptDescriptors: [String: Int32] { kept?.descriptors ?? [:] }

    public func read(_ path: String) throws(ProcReadError) -> ProcText {
        if let kept, let text = try kept.reread(path, with: readToEnd) { return text }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .missing(path: path) }
            throw .unreadable(path: path, errno: code)
        }
        if let kept, kept.keep(fd, for: path) {
            // nil only if a copy's failed read closed it in between: no text this time.
            guard let text = try kept.reread(path, with: readToEnd) else { throw .unreadable(path: path, errno: EBADF) }
            return text
        }
        defer { close(fd) }
        return try readToEnd(fd, path)
    }

    private func readToEnd(_ fd: Int32, _ path: String) throws(ProcReadError) -> ProcText {
        // Read into uninitialised storage (no zero-fill), growing by doubling; one byte more
        // than the limit tells "exactly at the limit" from "larger".
        var capacity = min(8 << 10, limit + 1)
        var bytes: [UInt8] = []
        while true {
            var used = bytes.count
            let previous = bytes
            var failure: ProcReadError?
            bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                _ = buffer.initialize(from: previous)
                while used < capacity {
                    let count = Glibc.read(fd, buffer.baseAddress! + used, capacity - used)
                    if count < 0 {
                        if errno == EINTR { continue }
                        failure = .unreadable(path: path, errno: errno)
                        break
                    }
                    if count == 0 { break }
                    used += count
                }
                initialized = used
            }
            if let failure { throw failure }
            if bytes.count > limit { throw .tooLarge(path: path, limit: limit) }
            if bytes.count < capacity { break }  // EOF before the buffer filled
            capacity = min(capacity * 2, limit + 1)
        }
        return ProcText(path: path, bytes: bytes)
    }
}

/// The procfs files a reader keeps open, by path; closed with the reader's last copy.
private final class KeptProcFiles: Sendable {
    private let open = Mutex<[String: Int32]>([:])

    var descriptors: [String: Int32] { open.withLock { $0 } }

    /// Keeps `fd` if it is a procfs file not kept yet; false (the caller reads and closes it)
    /// otherwise: a copy of the reader that opened the same file meanwhile keeps its own.
    func keep(_ fd: Int32, for path: String) -> Bool {
        guard surge_is_procfs(fd) == 1 else { return false }
        return open.withLock { kept in
            guard kept[path] == nil else { return false }
            kept[path] = fd
            return true
        }
    }

    /// The file read again from its start; nil when it is not kept. A failed read closes and
    /// forgets it, so the next read opens it afresh.
    func reread(_ path: String, with read: (Int32, String) throws(ProcReadError) -> ProcText) throws(ProcReadError) -> ProcText? {
        guard let fd = open.withLock({ $0[path] }) else { return nil }
        do throws(ProcReadError) {
            guard lseek(fd, 0, SEEK_SET) == 0 else { throw ProcReadError.unreadable(path: path, errno: errno) }
            return try read(fd, path)
        } catch {
            open.withLock { _ = $0.removeValue(forKey: path) }
            close(fd)
            throw error
        }
    }

    deinit {
        for fd in open.withLock({ Array($0.values) }) { close(fd) }
    }
}

/// Why a kernel feature's file gives nothing to parse, where that means the host lacks the
/// feature or has it turned off rather than a fault (ProcFileReader.parsed's `missing`).
public enum ProcAbsence: Sendable, Equatable {
    /// No such file: a kernel built without the feature (or a unit that stopped).
    case noFile
    /// The file is there and the kernel refuses to read it (EOPNOTSUPP): PSI built in and turned
    /// off at boot does this on kernels that still make /proc/pressure (5.4, RHEL 8's 4.18).
    case refused
    /// The file reads empty (`emptyIsAbsent` only): what CentOS 8's PSI turned off gave.
    case empty
}

extension ProcReadError {
    /// The absence this error means, if it means one: nil for a fault.
    public var absence: ProcAbsence? {
        switch self {
        case .missing: return .noFile
        case .unreadable(_, let code) where code == EOPNOTSUPP: return .refused
        default: return nil
        }
    }
}

extension ProcFileReader {
    /// Reads and parses `path` for a source; what goes wrong comes back as the problem to report.
    /// `missing` says what an absent file means (a kernel feature the host lacks or has turned
    /// off, a unit that stopped: the problem to report, or nil for none); without it an absent
    /// file is a failure. `emptyIsAbsent`: an empty file is such an absence too.
    public func parsed<T>(
        _ path: String, _ parse: (ProcText) throws(ProcParseError) -> T,
        missing: ((String, ProcAbsence) -> SourceProblem?)? = nil, emptyIsAbsent: Bool = false
    ) -> (value: T?, problem: SourceProblem?) {
        do {
            let text = try read(path)
            if emptyIsAbsent, text.bytes.isEmpty, let missing { return (nil, missing(path, .empty)) }
            return (try parse(text), nil)
        } catch let error as ProcReadError {
            if let absence = error.absence, let missing { return (nil, missing(path, absence)) }
            return (nil, SourceProblem(kind: .failure, location: path, message: error.description))
        } catch let error as ProcParseError {
            return (nil, SourceProblem(kind: .failure, location: path, message: error.description))
        } catch {
            return (nil, SourceProblem(kind: .failure, location: path, message: "\(error)"))
        }
    }
}
