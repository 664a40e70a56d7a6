/// A line and column in a config file, both 1-based, as editors count them.
public struct SourcePosition: Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// Where each key and value of a TOML document stands in its text.
///
/// TOMLKit reports positions for syntax errors only; the decoded tables carry none. Errors about
/// meaning (wrong type, out of range, unknown key) must still point at a line, so this scanner
/// walks the text once more. It runs only on text TOMLKit has already accepted, so it can be
/// lenient: it tracks tables, arrays of tables, dotted and quoted keys, inline tables, arrays
/// and every string form, and never needs to report an error of its own.
///
/// Paths look like `sampling.interval`, `sources.probe[1].url`, `model.features[2]`.
public struct TOMLSourceMap: Sendable {
    public private(set) var keys: [String: SourcePosition] = [:]
    public private(set) var values: [String: SourcePosition] = [:]

    public init(text: String) {
        var scanner = Scanner(Array(text.unicodeScalars))
        scanner.scanDocument()
        keys = scanner.keys
        values = scanner.values
    }

    /// Where to point for a problem with `path`: its value, else its key, else the nearest
    /// enclosing table that is written in the file, else the top of the file.
    public func position(of path: String) -> SourcePosition {
        var candidate = path
        while true {
            if let value = values[candidate] ?? keys[candidate] { return value }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            candidate = String(candidate[..<cut])
        }
        return SourcePosition(line: 1, column: 1)
    }

    /// Where the key itself stands (for unknown keys), falling back like `position(of:)`.
    public func keyPosition(of path: String) -> SourcePosition {
        keys[path] ?? position(of: path)
    }
}

private struct Scanner {
    let text: [Unicode.Scalar]
    var index = 0
    var line = 1
    var column = 1
    var keys: [String: SourcePosition] = [:]
    var values: [String: SourcePosition] = [:]
    var arrayTableCounts: [String: Int] = [:]
    var table = ""

    init(_ text: [Unicode.Scalar]) { self.text = text }

    var position: SourcePosition { SourcePosition(line: line, column: column) }
    var atEnd: Bool { index >= text.count }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < text.count ? text[index + offset] : nil
    }

    mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < text.count {
            if text[index] == "\n" { line += 1; column = 1 } else { column += 1 }
            index += 1
        }
    }

    mutating func skipSpaces() {
        while let c = peek(), c == " " || c == "\t" { advance() }
    }

    /// Spaces, newlines and comments.
    mutating func skipTrivia() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" { advance() }
            else if c == "#" { while let d = peek(), d != "\n" { advance() } }
            else { break }
        }
    }

    mutating func scanDocument() {
        while true {
            skipTrivia()
            guard let c = peek() else { return }
            let start = position
            if c == "[" {
                let isArray = peek(1) == "["
                advance(isArray ? 2 : 1)
                skipSpaces()
                let segments = scanKey()
                skipSpaces()
                advance(isArray ? 2 : 1)
                table = resolveHeader(segments, isArray: isArray)
                keys[table] = start
            } else {
                let segments = scanKey()
                guard !segments.isEmpty else { advance(); continue }
                skipSpaces()
                if peek() == "=" { advance() }
                skipSpaces()
                let path = join(table, segments)
                keys[path] = start
                scanValue(path)
            }
            // The rest of the line can hold only spaces and a comment.
            skipSpaces()
            if peek() == "#" { while let d = peek(), d != "\n" { advance() } }
        }
    }

    /// `[a.b]` names the latest element of every array of tables on its way; `[[a.b]]` adds one.
    mutating func resolveHeader(_ segments: [String], isArray: Bool) -> String {
        var resolved = ""
        for (offset, segment) in segments.enumerated() {
            resolved = resolved.isEmpty ? segment : resolved + "." + segment
            if isArray && offset == segments.count - 1 {
                let next = arrayTableCounts[resolved, default: 0]
                arrayTableCounts[resolved] = next + 1
                resolved += "[\(next)]"
            } else if let count = arrayTableCounts[resolved] {
                resolved += "[\(count - 1)]"
            }
        }
        return resolved
    }

    func join(_ base: String, _ segments: [String]) -> String {
        let tail = segments.joined(separator: ".")
        return base.isEmpty ? tail : base + "." + tail
    }

    /// A dotted key of bare, "basic" and 'literal' parts.
    mutating func scanKey() -> [String] {
        var segments: [String] = []
        while let c = peek() {
            if c == "\"" || c == "'" {
                advance()
                var segment = ""
                while let d = peek(), d != c, d != "\n" {
                    if c == "\"" && d == "\\" { advance(); if let e = peek() { segment.unicodeScalars.append(e) } }
                    else { segment.unicodeScalars.append(d) }
                    advance()
                }
                advance()
                segments.append(segment)
            } else if c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" {
                var segment = ""
                while let d = peek(), d.properties.isAlphabetic || ("0"..."9").contains(d) || d == "_" || d == "-" {
                    segment.unicodeScalars.append(d)
                    advance()
                }
                segments.append(segment)
            } else {
                break
            }
            skipSpaces()
            guard peek() == "." else { break }
            advance()
            skipSpaces()
        }
        return segments
    }

    mutating func scanValue(_ path: String) {
        values[path] = position
        guard let c = peek() else { return }
        switch c {
        case "\"", "'":
            let triple = peek(1) == c && peek(2) == c
            advance(triple ? 3 : 1)
            while let d = peek() {
                if c == "\"" && d == "\\" { advance(2); continue }
                if triple {
                    if d == c && peek(1) == c && peek(2) == c {
                        advance(3)
                        // A closing delimiter may be followed by up to two more quotes of content.
                        while peek() == c { advance() }
                        return
                    }
                } else if d == c || d == "\n" {
                    advance()
                    return
                }
                advance()
            }
        case "[":
            advance()
            var element = 0
            while true {
                skipTrivia()
                guard let d = peek() else { return }
                if d == "]" { advance(); return }
                if d == "," { advance(); continue }
                let before = index
                scanValue("\(path)[\(element)]")
                element += 1
                if index == before { advance() }
            }
        case "{":
            advance()
            while true {
                skipSpaces()
                guard let d = peek() else { return }
                if d == "}" { advance(); return }
                if d == "," { advance(); continue }
                let start = position
                let segments = scanKey()
                if segments.isEmpty { advance(); continue }
                let inner = join(path, segments)
                keys[inner] = start
                skipSpaces()
                if peek() == "=" { advance() }
                skipSpaces()
                scanValue(inner)
            }
        default:
            while let d = peek(), d != ",", d != "]", d != "}", d != "\n", d != "\r", d != "#" { advance() }
        }
    }
}
