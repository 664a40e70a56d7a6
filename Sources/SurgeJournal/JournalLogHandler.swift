import Glibc
import Logging
import SurgeSampling
import Synchronization

/// A swift-log handler that writes structured journal entries: PRIORITY from the level,
/// CODE_FILE/CODE_LINE/CODE_FUNC from the call site, metadata as upper-case SURGE_ fields but
/// `message_id`, which is journald's MESSAGE_ID (its catalog's key, `journalctl -x`). When
/// journald is not there (no socket) or refuses an entry, the line goes to stderr instead, with
/// one warning.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let identifier: String
    let label: String
    let socketPath: String

    public init(label: String, identifier: String, socketPath: String = JournalEntry.socketPath) {
        self.label = label
        self.identifier = identifier
        self.socketPath = socketPath
    }

    /// Log lines with an entry in systemd/surgewatch.catalog, by the `message_id` metadata key.
    public enum MessageID {
        public static let key = "message_id"
        /// A damaged database moved aside (SetAsideDatabase), with SURGE_MOVED_TO.
        public static let databaseSetAside = "b6196c04e61442eab2710e3e2db39629"
        /// A span of ticks deleted by `surgewatch forget`, with SURGE_FORGOT_FROM and _TO.
        public static let spanForgotten = "b0bccefe11b3491598daa8453785a531"
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// syslog priorities: trace and debug 7, info 6, notice 5, warning 4, error 3, critical 2.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    public func log(event: LogEvent) {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", event.message.description),
            ("PRIORITY", String(Self.priority(event.level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append((key == MessageID.key ? "MESSAGE_ID" : "SURGE_" + JournalEntry.fieldName(key), "\(value)"))
        }
        do {
            try JournalEntry.send(fields, socket: socketPath)
        } catch {
            if !Self.fallbackWarned.exchange(true, ordering: .relaxed) {
                writeAll("\(identifier): warning: \(error); log lines are written to stderr instead\n", to: STDERR_FILENO)
            }
            let extra = merged.sorted(by: { $0.key < $1.key }).map { " \($0.key)=\($0.value)" }.joined()
            writeAll("\(event.level) \(label): \(event.message)\(extra)\n", to: STDERR_FILENO)
        }
    }

    /// One warning per process however many handlers fall back, as the alert sink gives.
    private static let fallbackWarned = Atomic<Bool>(false)

}

/// systemd sets JOURNAL_STREAM=<dev>:<inode> for the stream it connects a service's stdout and
/// stderr to. A descriptor is "the journal" when it is that very stream.
public func isJournalStream(_ descriptor: Int32, journalStream value: String?) -> Bool {
    guard let value else { return false }
    let parts = value.split(separator: ":")
    guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { return false }
    return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
}
