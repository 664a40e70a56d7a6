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
