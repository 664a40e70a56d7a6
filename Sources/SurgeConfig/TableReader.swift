import TOMLKit

/// Collects located errors while a config is decoded.
final class DecodingContext {
    let file: String
    let map: TOMLSourceMap
    private(set) var errors: [ConfigError] = []

    init(file: String, map: TOMLSourceMap) {
        self.file = file
        self.map = map
    }

    func fail(_ path: String, _ message: String, atKey: Bool = false) {
        let position = atKey ? map.keyPosition(of: path) : map.position(of: path)
        errors.append(ConfigError(file: file, position: position, key: path, message: message))
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
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func raw(_ key: String) -> TOMLValueConvertible? {
        known.append(key)
        guard table.contains(key: key) else { return nil }
        let value: TOMLValueConvertible? = table[key]
        return value
    }

    func fail(_ key: String, _ message: String) {
        context.fail(keyPath(key), message)
    }

    private func wrongType(_ key: String, expected: String, got value: TOMLValueConvertible) {
        fail(key, "expected \(expected), got \(Self.describe(value))")
    }

    static func describe(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "string \"\(value.string ?? "")\""
        case .int: return "integer \(value.int ?? 0)"
        case .double: return "number \(value.double ?? 0)"
        case .bool: return "boolean \(value.bool ?? false)"
        case .array: return "an array"
        case .table: return "a table"
        default: return "a \(value.type)"
        }
    }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let value = raw(key) else { return fallback }
        guard let bool = value.bool, value.type == .bool else {
            wrongType(key, expected: "true or false", got: value)
            return fallback
        }
        return bool
    }

    func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let value = raw(key) else { return fallback }
        guard value.type == .int, let int = value.int else {
            wrongType(key, expected: "an integer", got: value)
            return fallback
        }
        guard range.contains(int) else {
            fail(key, "\(int) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return int
    }

    func double(_ key: String, default fallback: Double, range: ClosedRange<Double>) -> Double {
        guard let value = raw(key) else { return fallback }
        let number: Double
        if value.type == .double, let double = value.double { number = double }
        else if value.type == .int, let int = value.int { number = Double(int) }
        else {
            wrongType(key, expected: "a number", got: value)
            return fallback
        }
        guard range.contains(number) else {
            fail(key, "\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return number
    }

    func string(_ key: String) -> String? {
        guard let value = raw(key) else { return nil }
        guard value.type == .string, let string = value.string else {
            wrongType(key, expected: "a string", got: value)
            return nil
        }
        return string
    }

    func requiredString(_ key: String, in tableName: String) -> String? {
        if !table.contains(key: key) {
            known.append(key)
            context.fail(path, "\(tableName) needs '\(key)'")
            return nil
        }
        return string(key)
    }

    func duration(_ key: String, default fallback: Duration, range: ClosedRange<Duration>) -> Duration {
        guard let value = raw(key) else { return fallback }
        guard value.type == .string, let text = value.string else {
            wrongType(key, expected: "a duration string such as \"10s\", \"5m\", \"2h\" or \"30d\"", got: value)
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

    /// An array of strings; `elements` gets each element's key path for later messages.
    func strings(_ key: String, default fallback: [String]) -> [String] {
        guard let value = raw(key) else { return fallback }
        guard let array = value.array, value.type == .array else {
            wrongType(key, expected: "an array of strings", got: value)
            return fallback
        }
        var result: [String] = []
        for (offset, element) in array.enumerated() {
            guard element.type == .string, let string = element.string else {
                context.fail("\(keyPath(key))[\(offset)]", "expected a string, got \(Self.describe(element))")
                continue
            }
            result.append(string)
        }
        return result
    }

    func table(_ key: String) -> TableReader? {
        guard let value = raw(key) else { return nil }
        guard value.type == .table, let table = value.table else {
            wrongType(key, expected: "a table [\(keyPath(key))]", got: value)
            return nil
        }
        return TableReader(table: table, path: keyPath(key), context: context)
    }

    /// `[[key]]` entries.
    func tables(_ key: String) -> [TableReader] {
        guard let value = raw(key) else { return [] }
        guard value.type == .array, let array = value.array else {
            wrongType(key, expected: "an array of tables [[\(keyPath(key))]]", got: value)
            return []
        }
        var readers: [TableReader] = []
        for (offset, element) in array.enumerated() {
            guard element.type == .table, let table = element.table else {
                context.fail("\(keyPath(key))[\(offset)]", "expected a table, got \(Self.describe(element))")
                continue
            }
            readers.append(TableReader(table: table, path: "\(keyPath(key))[\(offset)]", context: context))
        }
        return readers
    }

    /// All entries of a table whose keys are free-form (metric names), in file order.
    func entries() -> [(key: String, value: TOMLValueConvertible)] {
        let keys = table.keys
        known.append(contentsOf: keys)
        let map = context.map
        return keys
            .sorted { lhs, rhs in
                let a = map.keyPosition(of: keyPath(lhs)), b = map.keyPosition(of: keyPath(rhs))
                return (a.line, a.column) < (b.line, b.column)
            }
            .map { key in
                let value: TOMLValueConvertible? = table[key]
                return (key, value!)
            }
    }

    /// Reports every key of the table that no accessor asked for.
    func finish() {
        let knownSet = Set(known)
        for key in table.keys where !knownSet.contains(key) {
            var message = "unknown key '\(key)'"
            if let suggestion = Self.closest(to: key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else if !known.isEmpty {
                message += " (known here: \(known.joined(separator: ", ")))"
            }
            context.fail(keyPath(key), message, atKey: true)
        }
    }

    /// The known key within edit distance 2, if any: catches `intervall`, `horizon_tick`.
    static func closest(to key: String, among candidates: [String]) -> String? {
        candidates
            .map { ($0, editDistance(Array(key), Array($0))) }
            .filter { $0.1 <= 2 }
            .min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
