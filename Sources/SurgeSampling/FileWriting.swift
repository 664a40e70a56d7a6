import Glibc

/// Writes all of `text` to a file descriptor with write(2), retrying short writes and EINTR:
/// unbuffered, so each line reaches a pipe or the journal stream as it is written.
public func writeAll(_ text: String, to descriptor: Int32) {
    _ = writeAll(Array(text.utf8), to: descriptor)
}

/// The same for bytes; returns the errno of a failed write, nil when everything was written.
public func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }
}

/// Replaces the file at `path` with `bytes`, whole or not at all: written to a temporary file
/// beside it, then renamed over it, so a reader never sees half of it. Mode `mode` whatever
/// the umask: its reader runs as another user (node_exporter for the daemon's textfile, the
/// unit's dynamic user for a request `surgewatch forget` writes as root, whose umask a
/// hardened host sets to 077). Returns the failure, naming the file, or nil.
public func replaceFile(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) -> FileReplaceFailure? {
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { return FileReplaceFailure(path: temporary, code: errno) }
    fchmod(fd, mode)
    if let failure = writeAll(bytes, to: fd) {
        close(fd)
        unlink(temporary)
        return FileReplaceFailure(path: temporary, code: failure)
    }
    close(fd)
    guard rename(temporary, path) == 0 else {
        let code = errno
        unlink(temporary)
        return FileReplaceFailure(path: path, code: code)
    }
    return nil
}

/// Why `replaceFile` failed: the file and the system's reason ("…: Read-only file system").
public struct FileReplaceFailure: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var code: Int32
    public var description: String { "\(path): \(String(cString: strerror(code)))" }
    /// The directory may not be written here: read-only (a sandbox) or not this user's.
    public var isNotPermitted: Bool { code == EROFS || code == EACCES || code == EPERM }
}
