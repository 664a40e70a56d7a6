/// TOML 1.0 (https://toml.io/en/v1.0.0) into `TOMLTable`s that keep the line and column of
/// every key and value. Errors stop at the first problem and say where it is.
public struct TOMLParser {
    private let text: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1
    private let root = TOMLTable(origin: .header, position: SourcePosition(line: 1, column: 1))
    private var current: TOMLTable
    /// Arrays and inline tables open around the value being read.
    private var nesting = 0
    /// How deep arrays and inline tables nest, and how many parts a dotted key has, at most.
    /// The parser and the release of the tree recurse, so a file thousands of levels deep
    /// would overflow the stack instead of being refused; no config comes near this.
    static let deepestNesting = 32

    private init(_ string: String) {
        var scalars = Array(string.unicodeScalars)
        // A byte order mark that an editor put first (Notepad on Windows) is no part of the
        // document, as systemd's own parsers and most TOML readers take it; refused, it read
        // as "found ''", naming a character no editor shows.
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        text = scalars
        current = root
    }

    public static func parse(_ string: String) throws(TOMLSyntaxError) -> TOMLTable {
        var parser = TOMLParser(string)
        try parser.document()
        return parser.root
    }

    // MARK: cursor

    private var position: SourcePosition { SourcePosition(line: line, column: column) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < text.count ? text[index + offset] : nil
    }

    private mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < text.count {
            if text[index] == "\n" { line += 1; column = 1 } else { column += 1 }
            index += 1
        }
    }

    private func fail(_ message: String, at where_: SourcePosition? = nil) -> TOMLSyntaxError {
        TOMLSyntaxError(position: where_ ?? position, message: message)
    }

    /// A character as an error names it. Those an editor does not show, or shows as something
    /// else, are named by code point: a non-breaking or full-width space (U+3000, which Chinese
    /// input methods type) looks like a space, and a full-width '＝' like '='.
    private func shown(_ scalar: Unicode.Scalar?) -> String {
        guard let scalar else { return "the end of the file" }
        let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
        switch scalar {
        case "\n": return "a line break"
        case "\t": return "a tab"
        case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value): return "control character \(code)"
        case _ where scalar.properties.isWhitespace: return "space character \(code) (only ' ' and tab separate here)"
        case _ where scalar.properties.generalCategory == .format: return "invisible character \(code)"
        case _ where (0xFF01...0xFF5E).contains(scalar.value):
            return "'\(scalar)' (\(code), a full-width '\(Unicode.Scalar(scalar.value - 0xFEE0)!)')"
        default: return "'\(scalar)'"
        }
    }

    private mutating func skipSpaces() {
        while let c = peek(), c == " " || c == "\t" { advance() }
    }

    private mutating func skipComment() throws(TOMLSyntaxError) {
        guard peek() == "#" else { return }
        while let c = peek(), c != "\n" {
            if c == "\r" && peek(1) == "\n" { return }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw fail("\(shown(c)) is not allowed in a comment") }
            advance()
        }
    }

    /// Consumes a line break (LF or CRLF); false if there is none here.
    private mutating func newline() -> Bool {
        if peek() == "\n" { advance(); return true }
        if peek() == "\r" && peek(1) == "\n" { advance(2); return true }
        return false
    }

    private mutating func skipBlankLines() throws(TOMLSyntaxError) {
        while true {
            skipSpaces()
            try skipComment()
            if !newline() { return }
        }
    }

    private mutating func endOfLine(after what: String) throws(TOMLSyntaxError) {
        skipSpaces()
        try skipComment()
        guard peek() == nil || newline() else {
            throw fail("expected the end of the line after \(what), found \(shown(peek()))")
        }
    }

    // MARK: document structure

    private mutating func document() throws(TOMLSyntaxError) {
        while true {
            try skipBlankLines()
            guard let c = peek() else { return }
            if c == "[" {
                try header()
                try endOfLine(after: "the table header")
            } else {
                try keyValue(into: current)
                try endOfLine(after: "the value")
            }
        }
    }

    private mutating func header() throws(TOMLSyntaxError) {
        let start = position
        let isArray = peek(1) == "["
        advance(isArray ? 2 : 1)
        skipSpaces()
        let segments = try key()
        skipSpaces()
        guard peek() == "]", !isArray || peek(1) == "]" else {
            throw fail("expected '\(isArray ? "]]" : "]")' to close the table header, found \(shown(peek()))")
        }
        advance(isArray ? 2 : 1)
        let name = segments.map(\.name).joined(separator: ".")

        var table = root
        for segment in segments.dropLast() {
            table = try descendForHeader(table, segment)
        }
        let last = segments[segments.count - 1]
        if isArray {
            let element = TOMLTable(origin: .header, position: start)
            if let existing = table[last.name] {
                guard case .array(let array) = existing.value, array.isArrayOfTables else {
                    throw fail("[[\(name)]]: '\(last.name)' is already \(existing.value.summary), not an array of tables", at: start)
                }
                array.elements.append(TOMLNode(value: .table(element), position: start, keyPosition: start))
            } else {
                let array = TOMLArray(isArrayOfTables: true)
                array.elements.append(TOMLNode(value: .table(element), position: start, keyPosition: start))
                table.set(last.name, TOMLNode(value: .array(array), position: start, keyPosition: start))
            }
            current = element
        } else if let existing = table[last.name] {
            guard case .table(let existingTable) = existing.value else {
                throw fail("[\(name)]: '\(last.name)' is already \(existing.value.summary), not a table", at: start)
            }
            guard existingTable.origin == .implicit else {
                throw fail("table [\(name)] is defined twice (first at line \(existingTable.position.line))", at: start)
            }
            existingTable.origin = .header
            existingTable.position = start
            current = existingTable
        } else {
            let table2 = TOMLTable(origin: .header, position: start)
            table.set(last.name, TOMLNode(value: .table(table2), position: start, keyPosition: start))
            current = table2
        }
    }

    private func descendForHeader(_ table: TOMLTable, _ segment: KeySegment) throws(TOMLSyntaxError) -> TOMLTable {
        guard let existing = table[segment.name] else {
            let child = TOMLTable(origin: .implicit, position: segment.position)
            table.set(segment.name, TOMLNode(value: .table(child), position: segment.position, keyPosition: segment.position))
            return child
        }
        switch existing.value {
        case .table(let child) where child.origin != .inline:
            return child
        case .array(let array) where array.isArrayOfTables:
            guard case .table(let last)? = array.elements.last?.value else { break }
            return last
        default:
            break
        }
        throw fail("'\(segment.name)' is already \(existing.value.summary) and cannot hold a table", at: segment.position)
    }

    private mutating func keyValue(into table: TOMLTable) throws(TOMLSyntaxError) {
        let keyStart = position
        let segments = try key()
        skipSpaces()
        guard peek() == "=" else {
            throw fail("expected '=' after the key '\(segments.map(\.name).joined(separator: "."))', found \(shown(peek()))")
        }
        advance()
        skipSpaces()
        let valueStart = position
        let value = try value()

        var target = table
        for segment in segments.dropLast() {
            if let existing = target[segment.name] {
                guard case .table(let child) = existing.value, child.origin == .dotted else {
                    throw fail("'\(segment.name)' is already \(existing.value.summary) defined elsewhere; dotted keys cannot add to it", at: segment.position)
                }
                target = child
            } else {
                let child = TOMLTable(origin: .dotted, position: segment.position)
                target.set(segment.name, TOMLNode(value: .table(child), position: segment.position, keyPosition: segment.position))
                target = child
            }
        }
        let last = segments[segments.count - 1]
        if target[last.name] != nil {
            throw fail("key '\(segments.map(\.name).joined(separator: "."))' is defined twice", at: keyStart)
        }
        target.set(last.name, TOMLNode(value: value, position: valueStart, keyPosition: keyStart))
    }

    // MARK: keys

    private struct KeySegment {
        var name: String
        var position: SourcePosition
    }

    private mutating func key() throws(TOMLSyntaxError) -> [KeySegment] {
        var segments: [KeySegment] = []
        while true {
            skipSpaces()
            let start = position
            switch peek() {
            case "\"":
                if peek(1) == "\"" && peek(2) == "\"" { throw fail("a key cannot be a multi-line string") }
                segments.append(KeySegment(name: try basicString(), position: start))
            case "'":
                if peek(1) == "'" && peek(2) == "'" { throw fail("a key cannot be a multi-line string") }
                segments.append(KeySegment(name: try literalString(), position: start))
            default:
                var name = ""
                while let c = peek(), Self.isBareKeyScalar(c) {
                    name.unicodeScalars.append(c)
                    advance()
                }
                guard !name.isEmpty else { throw fail("expected a key, found \(shown(peek()))") }
                segments.append(KeySegment(name: name, position: start))
            }
            skipSpaces()
            guard peek() == "." else { return segments }
            guard segments.count < Self.deepestNesting else {
                throw fail("a dotted key of more than \(Self.deepestNesting) parts")
            }
            advance()
        }
    }

    /// Counts one more array or inline table around what is read next (the caller counts it
    /// back down when the value is read).
    private mutating func enter(_ what: String) throws(TOMLSyntaxError) {
        guard nesting < Self.deepestNesting else {
            throw fail("\(what) nested more than \(Self.deepestNesting) levels deep")
        }
        nesting += 1
    }

    private static func isBareKeyScalar(_ c: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    // MARK: values

    private mutating func value() throws(TOMLSyntaxError) -> TOMLValue {
        switch peek() {
        case "\"":
            if peek(1) == "\"" && peek(2) == "\"" { return .string(try multilineString(literal: false)) }
            return .string(try basicString())
        case "'":
            if peek(1) == "'" && peek(2) == "'" { return .string(try multilineString(literal: true)) }
            return .string(try literalString())
        case "[":
            return .array(try array())
        case "{":
            return .table(try inlineTable())
        case "t", "f":
            for (word, value) in [("true", true), ("false", false)] where matches(word) {
                advance(word.unicodeScalars.count)
                return .boolean(value)
            }
            throw fail("expected a value, found \(shown(peek()))")
        default:
            return try numberOrDateTime()
        }
    }

    private func matches(_ word: String) -> Bool {
        for (offset, scalar) in word.unicodeScalars.enumerated() where peek(offset) != scalar { return false }
        return true
    }

    private mutating func array() throws(TOMLSyntaxError) -> TOMLArray {
        try enter("arrays and inline tables")
        defer { nesting -= 1 }
        let array = TOMLArray(isArrayOfTables: false)
        advance()
        while true {
            try skipBlankLines()
            if peek() == "]" { advance(); return array }
            let start = position
            array.elements.append(TOMLNode(value: try value(), position: start, keyPosition: nil))
            try skipBlankLines()
            switch peek() {
            case ",": advance()
            case "]": advance(); return array
            default: throw fail("expected ',' or ']' in the array, found \(shown(peek()))")
            }
        }
    }

    private mutating func inlineTable() throws(TOMLSyntaxError) -> TOMLTable {
        try enter("arrays and inline tables")
        defer { nesting -= 1 }
        let table = TOMLTable(origin: .dotted, position: position)
        advance()
        skipSpaces()
        if peek() == "}" {
            advance()
            table.origin = .inline
            return table
        }
        while true {
            try keyValue(into: table)
            skipSpaces()
            switch peek() {
            case ",":
                advance()
                skipSpaces()
                if peek() == "}" { throw fail("an inline table cannot end with a comma") }
            case "}":
                advance()
                table.origin = .inline
                return table
            default:
                throw fail("expected ',' or '}' in the inline table, found \(shown(peek())) (inline tables stay on one line)")
            }
        }
    }

    // MARK: strings

    private mutating func basicString() throws(TOMLSyntaxError) -> String {
        advance()
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek(), c != "\n" else { throw fail("this string is not closed before \(shown(peek()))") }
            advance()
            switch c {
            case "\"": return String(result)
            case "\\": result.append(try escape())
            default:
                if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw fail("\(shown(c)) must be escaped in a string") }
                result.append(c)
            }
        }
    }

    private mutating func literalString() throws(TOMLSyntaxError) -> String {
        advance()
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek(), c != "\n" else { throw fail("this string is not closed before \(shown(peek()))") }
            advance()
            if c == "'" { return String(result) }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw fail("\(shown(c)) is not allowed in a literal string") }
            result.append(c)
        }
    }

    private mutating func multilineString(literal: Bool) throws(TOMLSyntaxError) -> String {
        let quote: Unicode.Scalar = literal ? "'" : "\""
        advance(3)
        _ = newline()  // a line break right after the opening delimiter is not content
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw fail("this multi-line string is not closed") }
            if c == quote && peek(1) == quote && peek(2) == quote {
                var run = 0
                while peek(run) == quote { run += 1 }
                guard run <= 5 else { throw fail("too many quotes at the end of a multi-line string") }
                for _ in 0..<(run - 3) { result.append(quote) }
                advance(run)
                return String(result)
            }
            if newline() { result.append("\n"); continue }
            advance()
            if !literal && c == "\\" {
                // A backslash at the end of a line joins it to the next, eating the white space.
                var look = 0
                while let d = peek(look), d == " " || d == "\t" { look += 1 }
                if peek(look) == "\n" || (peek(look) == "\r" && peek(look + 1) == "\n") {
                    advance(look)
                    while true {
                        skipSpaces()
                        if !newline() { break }
                    }
                    continue
                }
                result.append(try escape())
                continue
            }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw fail("\(shown(c)) must be escaped in a string") }
            result.append(c)
        }
    }

    /// After a backslash: one escape sequence.
    private mutating func escape() throws(TOMLSyntaxError) -> Unicode.Scalar {
        // Point at the backslash, which the caller has consumed.
        let start = SourcePosition(line: line, column: column - 1)
        guard let c = peek() else { throw fail("an escape sequence is cut off") }
        advance()
        switch c {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let digits = c == "u" ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<digits {
                guard let d = peek(), let digit = UInt32(String(d), radix: 16) else {
                    throw fail("\\\(c) needs \(digits) hexadecimal digits", at: start)
                }
                value = value * 16 + digit
                advance()
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw fail("\\\(c)\(String(value, radix: 16, uppercase: true)) is not a Unicode scalar value", at: start)
            }
            return scalar
        default:
            throw fail("unknown escape sequence '\\\(c)'", at: start)
        }
    }

    // MARK: numbers and date-times

    private mutating func numberOrDateTime() throws(TOMLSyntaxError) -> TOMLValue {
        let start = position
        var token = ""
        while let c = peek(), Self.isBareKeyScalar(c) || c == "+" || c == "." || c == ":" {
            token.unicodeScalars.append(c)
            advance()
            // "1979-05-27 07:32:00": a date may be followed by a space and a time.
            if token.unicodeScalars.count == 10, Self.isDate(token), peek() == " ",
               let h = peek(1), ("0"..."9").contains(h), let m = peek(2), ("0"..."9").contains(m), peek(3) == ":" {
                token.unicodeScalars.append(" ")
                advance()
            }
        }
        guard !token.isEmpty else { throw fail("expected a value, found \(shown(peek()))") }
        if token.contains(":") || (token.unicodeScalars.count >= 10 && Self.isDate(String(token.prefix(10)))) {
            guard token.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || "-:.TtZz+ ".unicodeScalars.contains($0) }) else {
                throw fail("'\(token)' is not a valid date or time", at: start)
            }
            return .dateTime(token)
        }
        if let integer = try Self.integer(token, at: start) { return .integer(integer) }
        if let float = Self.float(token) { return .float(float) }
        throw fail("'\(token)' is not a valid value (strings need quotes)", at: start)
    }

    private static func isDate(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 10 else { return false }
        for (offset, scalar) in scalars.enumerated() {
            if offset == 4 || offset == 7 { if scalar != "-" { return false } }
            else if !("0"..."9").contains(scalar) { return false }
        }
        return true
    }

    /// Digits (of `radix`) with single underscores only between digits.
    private static func digitsWithUnderscores(_ text: Substring, radix: Int) -> String? {
        var digits = ""
        var previousWasDigit = false
        for c in text {
            if c == "_" {
                guard previousWasDigit else { return nil }
                previousWasDigit = false
            } else {
                guard c.isASCII, c.hexDigitValue.map({ $0 < radix }) ?? false else { return nil }
                digits.append(c)
                previousWasDigit = true
            }
        }
        return previousWasDigit ? digits : nil
    }

    private static func integer(_ token: String, at start: SourcePosition) throws(TOMLSyntaxError) -> Int64? {
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where token.hasPrefix(prefix) {
            guard let digits = digitsWithUnderscores(token.dropFirst(2), radix: radix) else { return nil }
            guard let value = Int64(digits, radix: radix) else {
                throw TOMLSyntaxError(position: start, message: "integer \(token) does not fit in 64 bits")
            }
            return value
        }
        var body = Substring(token)
        var negative = false
        if body.first == "+" || body.first == "-" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard let digits = digitsWithUnderscores(body, radix: 10), digits.allSatisfy(\.isNumber) else { return nil }
        if digits.count > 1 && digits.hasPrefix("0") { return nil }
        guard let value = Int64((negative ? "-" : "") + digits) else {
            throw TOMLSyntaxError(position: start, message: "integer \(token) does not fit in 64 bits")
        }
        return value
    }

    private static func float(_ token: String) -> Double? {
        var body = Substring(token)
        var sign = 1.0
        if body.first == "+" || body.first == "-" {
            sign = body.first == "-" ? -1 : 1
            body = body.dropFirst()
        }
        if body == "inf" { return sign * .infinity }
        if body == "nan" { return .nan }
        // int-part [. digits] [e [sign] digits], at least one of the two optional parts.
        let exponentSplit = body.split(omittingEmptySubsequences: false) { $0 == "e" || $0 == "E" }
        guard exponentSplit.count <= 2 else { return nil }
        let mantissa = exponentSplit[0]
        let fractionSplit = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard fractionSplit.count <= 2, exponentSplit.count == 2 || fractionSplit.count == 2 else { return nil }
        guard let whole = digitsWithUnderscores(fractionSplit[0], radix: 10), whole.allSatisfy(\.isNumber),
              whole.count == 1 || !whole.hasPrefix("0") else { return nil }
        var normalized = whole
        if fractionSplit.count == 2 {
            guard let fraction = digitsWithUnderscores(fractionSplit[1], radix: 10), fraction.allSatisfy(\.isNumber) else { return nil }
            normalized += "." + fraction
        }
        if exponentSplit.count == 2 {
            var exponent = exponentSplit[1]
            var exponentSign = ""
            if exponent.first == "+" || exponent.first == "-" {
                exponentSign = exponent.first == "-" ? "-" : ""
                exponent = exponent.dropFirst()
            }
            guard let digits = digitsWithUnderscores(exponent, radix: 10), digits.allSatisfy(\.isNumber) else { return nil }
            normalized += "e" + exponentSign + digits
        }
        return Double(normalized).map { sign * $0 }
    }
}
