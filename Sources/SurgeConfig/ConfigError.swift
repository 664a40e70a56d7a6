/// One thing wrong with a config file, located so an editor can jump to it:
/// `/etc/surgewatch/surgewatch.toml:4:12: sampling.interval: expected a duration ..., got "10"`.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var position: SourcePosition?
    /// The key path the problem concerns, when there is one.
    public var key: String?
    public var message: String

    public init(file: String, position: SourcePosition?, key: String?, message: String) {
        self.file = file
        self.position = position
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = file
        if let position { text += ":\(position.line):\(position.column)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}

/// Every problem found in one file, in file order, so one `check-config` run shows them all.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    /// What was left unchecked because of these errors, for `check-config` to say, so that a
    /// second run finding more is not a surprise: the rest of the file after a syntax error,
    /// the checks across keys after a key's own value is wrong. Nil when all was checked.
    public var unchecked: String?

    public init(_ errors: [ConfigError], unchecked: String? = nil) {
        self.errors = errors.sorted {
            ($0.position?.line ?? 0, $0.position?.column ?? 0) < ($1.position?.line ?? 0, $1.position?.column ?? 0)
        }
        self.unchecked = unchecked
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
