import SurgeSampling

/// Collects located errors while a config is decoded, and the position of every key path seen,
/// so that checks between keys made after decoding can point at a line too.
final class DecodingContext {
    let file: String
    /// Whether the files the HTTP sources name are read (not by tools that use no source).
    let readsSourceFiles: Bool
    private(set) var errors: [ConfigError] = []
    private var positions: [String: SourcePosition] = [:]

    init(file: String, readsSourceFiles: Bool = true) {
        self.file = file
        self.readsSourceFiles = readsSourceFiles
    }

    func record(_ path: String, _ position: SourcePosition) {
        positions[path] = position
    }

    /// The recorded position of `path`, else of its nearest recorded parent, else 1:1.
    func position(of path: String) -> SourcePosition {
        var candidate = path
        while true {
            if let position = positions[candidate] { return position }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            candidate = String(candidate[..<cut])
        }
        return SourcePosition(line: 1, column: 1)
    }

    func fail(_ path: String, _ message: String, at position: SourcePosition? = nil) {
        errors.append(ConfigError(file: file, position: position ?? self.position(of: path), key: path, message: message))
    }
}

/// Reads one TOML table with typed accessors. Each accessor returns the default and records an
/// error when the value has the wrong type or range, so decoding goes on and every problem of
/// the file is reported in one pass. Keys never read are reported as unknown by `finish()`.
final class TableReader {
    let table: TOMLTable
    let path: String
    let context: DecodingContext
    private var known: [String] = []

    init(table: TOMLTable, path: String, context: DecodingContext) {
        self.table = table
        self.path = path
        self.context = context
        context.record(path, table.position)
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func contains(_ key: String) -> Bool { table[key] != nil }

    private func raw(_ key: String) -> TOMLNode? {
        known.append(key)
        guard let node = table[key] else { return nil }
        context.record(keyPath(key), node.position)
        return node
    }

    func fail(_ key: String, _ message: String) {
        context.fail(keyPath(key), message)
    }

    private func wrongType(_ key: String, expected: String, got node: TOMLNode) {
        fail(key, "expected \(expected), got \(node.value.summary)")
    }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let node = raw(key) else { return fallback }
        guard case .boolean(let bool) = node.value else {
            wrongType(key, expected: "true or false", got: node)
            return fallback
        }
        return bool
    }

    func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let node = raw(key) else { return fallback }
        guard case .integer(let wide) = node.value, let int = Int(exactly: wide) else {
            wrongType(key, expected: "an integer", got: node)
            return fallback
        }
        guard range.contains(int) else {
            fail(key, "\(int) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return int
    }

    func double(_ key: String, default fallback: Double, range: ClosedRange<Double>) -> Double {
        guard let node = raw(key) else { return fallback }
        let number: Double
        switch node.value {
        case .float(let double): number = double
        case .integer(let int): number = Double(int)
        default:
            wrongType(key, expected: "a number", got: node)
            return fallback
        }
        guard range.contains(number) else {
            fail(key, "\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return number
    }

    func string(_ key: String) -> String? {
        guard let node = raw(key) else { return nil }
        guard case .string(let string) = node.value else {
            wrongType(key, expected: "a string", got: node)
            return nil
        }
        return string
    }

    func requiredString(_ key: String, in tableName: String) -> String? {
        if table[key] == nil {
            known.append(key)
            context.fail(path, "\(tableName) needs '\(key)'")
            return nil
        }
        return string(key)
    }

    func duration(_ key: String, default fallback: Duration, range: ClosedRange<Duration>) -> Duration {
        guard let node = raw(key) else { return fallback }
        guard case .string(let text) = node.value else {
            wrongType(key, expected: "a duration string such as \"10s\", \"5m\", \"2h\" or \"30d\"", got: node)
            return fallback
        }
        guard let duration = DurationText.parse(text) else {
            fail(key, "expected a duration such as \"10s\", \"5m\", \"2h\" or \"30d\", got \"\(text)\"")
            return fallback
        }
        guard range.contains(duration) else {
            fail(key, "\(text) is out of range: expected \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound))")
            return fallback
        }
        return duration
    }

    /// An array of TCP ports (1 ... 65535, no repeats); each element's position is recorded.
    func ports(_ key: String) -> [Int] {
        guard let elements = elements(key, expected: "an array of ports") else { return [] }
        var result: [Int] = []
        for (elementPath, element) in elements {
            guard case .integer(let wide) = element.value, let port = Int(exactly: wide), (1...65535).contains(port) else {
                context.fail(elementPath, "expected a port from 1 to 65535, got \(element.value.summary)")
                continue
            }
            guard !result.contains(port) else {
                context.fail(elementPath, "port \(port) is listed twice")
                continue
            }
            result.append(port)
        }
        return result
    }

    /// The elements of the array under `key`, each with its key path and its position recorded
    /// for later messages; nil when the key is absent or (reported) holds no array.
    func elements(_ key: String, expected: String) -> [(path: String, node: TOMLNode)]? {
        guard let node = raw(key) else { return nil }
        guard case .array(let array) = node.value else {
            wrongType(key, expected: expected, got: node)
            return nil
        }
        return array.elements.enumerated().map { offset, element in
            let elementPath = "\(keyPath(key))[\(offset)]"
            context.record(elementPath, element.position)
            return (elementPath, element)
        }
    }

    /// An array of strings; each element's position is recorded for later messages.
    func strings(_ key: String, default fallback: [String]) -> [String] {
        guard let elements = elements(key, expected: "an array of strings") else { return fallback }
        var result: [String] = []
        for (elementPath, element) in elements {
            guard case .string(let string) = element.value else {
                context.fail(elementPath, "expected a string, got \(element.value.summary)")
                continue
            }
            result.append(string)
        }
        return result
    }

    func table(_ key: String) -> TableReader? {
        guard let node = raw(key) else { return nil }
        guard case .table(let table) = node.value else {
            wrongType(key, expected: "a table [\(keyPath(key))]", got: node)
            return nil
        }
        return TableReader(table: table, path: keyPath(key), context: context)
    }

    /// `[[key]]` entries.
    func tables(_ key: String) -> [TableReader] {
        guard let node = raw(key) else { return [] }
        guard case .array(let array) = node.value else {
            wrongType(key, expected: "an array of tables [[\(keyPath(key))]]", got: node)
            return []
        }
        var readers: [TableReader] = []
        for (offset, element) in array.elements.enumerated() {
            guard case .table(let table) = element.value else {
                context.fail("\(keyPath(key))[\(offset)]", "expected a table, got \(element.value.summary)", at: element.position)
                continue
            }
            readers.append(TableReader(table: table, path: "\(keyPath(key))[\(offset)]", context: context))
        }
        return readers
    }

    /// All entries of a table whose keys are free-form (metric names), in file order.
    func entries() -> [(key: String, node: TOMLNode)] {
        table.keys.map { key in (key, raw(key)!) }
    }

    /// Reports every key of the table that no accessor asked for.
    func finish() {
        let knownSet = Set(known)
        for key in table.keys where !knownSet.contains(key) {
            var message = "unknown key '\(key)'"
            if let suggestion = NameSuggestion.closest(to: key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else if !known.isEmpty {
                message += " (known here: \(known.joined(separator: ", ")))"
            }
            context.fail(keyPath(key), message, at: table[key]?.keyPosition)
        }
    }
}
