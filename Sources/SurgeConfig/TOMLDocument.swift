/// A parsed TOML document whose every key and value knows where it stands in the text.
///
/// surgewatch reads its config with this parser rather than a library: errors about meaning
/// (wrong type, out of range, unknown key) must name a line and column, which TOMLKit keeps
/// only for syntax errors, and TOMLKit brings Foundation with ICU into the daemon, about 9 MiB
/// of resident memory on a box we promise to barely touch.
public final class TOMLTable {
    public enum Origin: Sendable {
        /// Made as the parent of a header or dotted key: `[a.b]` makes `a` implicitly.
        case implicit
        /// Opened by its own `[header]` or `[[header]]`.
        case header
        /// Made by a dotted key such as `a.b = 1`.
        case dotted
        /// `{ ... }`: complete as written, closed to additions.
        case inline
    }

    public internal(set) var origin: Origin
    /// Where the table is introduced: its header, its first dotted key, or its `{`.
    public internal(set) var position: SourcePosition
    public private(set) var keys: [String] = []
    private var nodes: [String: TOMLNode] = [:]

    init(origin: Origin, position: SourcePosition) {
        self.origin = origin
        self.position = position
    }

    public subscript(key: String) -> TOMLNode? { nodes[key] }

    func set(_ key: String, _ node: TOMLNode) {
        if nodes[key] == nil { keys.append(key) }
        nodes[key] = node
    }
}

public final class TOMLArray {
    public internal(set) var elements: [TOMLNode] = []
    /// Built by `[[name]]` headers; only such arrays take more `[[name]]` tables.
    public let isArrayOfTables: Bool

    init(isArrayOfTables: Bool) {
        self.isArrayOfTables = isArrayOfTables
    }
}

public enum TOMLValue {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// Offset/local date-times, dates and times, kept as written: only `[schedule] sales` takes
    /// one, an offset date-time, which it reads as the RFC 3339 text it is.
    case dateTime(String)
    case array(TOMLArray)
    case table(TOMLTable)

    /// How an error message names the value: `integer 10`, `string "10 parsecs"`.
    public var summary: String {
        switch self {
        case .string(let text): return "string \"\(text)\""
        case .integer(let value): return "integer \(value)"
        case .float(let value): return "number \(value)"
        case .boolean(let value): return "boolean \(value)"
        case .dateTime(let text): return "date-time \(text)"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}

public struct TOMLNode {
    public var value: TOMLValue
    /// Where the value starts.
    public var position: SourcePosition
    /// Where its key starts (nil for array elements).
    public var keyPosition: SourcePosition?
}

/// A syntax error, located.
public struct TOMLSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public var description: String { "\(position): \(message)" }
}
