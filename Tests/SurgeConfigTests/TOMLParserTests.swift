import Testing
@testable import SurgeConfig

@Suite struct TOMLParserTests {
    func node(_ table: TOMLTable, _ path: String...) -> TOMLNode? {
        var current = table
        for (offset, key) in path.enumerated() {
            guard let node = current[key] else { return nil }
            if offset == path.count - 1 { return node }
            switch node.value {
            case .table(let next): current = next
            case .array(let array):
                guard case .table(let last)? = array.elements.last?.value else { return nil }
                current = last
            default: return nil
            }
        }
        return nil
    }

    @Test func everyValueKindWithPositions() throws {
        let text = """
        # comment with = and [brackets]
        str = "tab\\there \\u00e9 \\U0001F600"
        lit = 'C:\\path'
        int = -1_000
        hex = 0xDEAD_beef
        oct = 0o17
        bin = 0b101
        flt = 6.626e-34
        inf = -inf
        yes = true
        when = 1979-05-27 07:32:00Z
        day = 1979-05-27
        [a]
        list = [
          "x", # a comment
          'y',
          { k = "v", n = 2 },
        ]
        text = \"\"\"
        line one \\
            joined
        [not.a.table]
        \"\"\"
        [[b.c]]
        u = "first"
        [[b.c]]
        u = "second"
        [b.c.d]
        deep = true
        "quoted.key" = 3
        dotted.inner = 4
        """
        let root = try TOMLParser.parse(text)
        guard case .string(let str) = node(root, "str")?.value else { Issue.record("str"); return }
        #expect(str == "tab\there é 😀")
        guard case .string(let lit) = node(root, "lit")?.value else { Issue.record("lit"); return }
        #expect(lit == "C:\\path")
        guard case .integer(-1000) = node(root, "int")?.value else { Issue.record("int"); return }
        guard case .integer(0xDEAD_BEEF) = node(root, "hex")?.value else { Issue.record("hex"); return }
        guard case .integer(15) = node(root, "oct")?.value else { Issue.record("oct"); return }
        guard case .integer(5) = node(root, "bin")?.value else { Issue.record("bin"); return }
        guard case .float(let flt) = node(root, "flt")?.value else { Issue.record("flt"); return }
        #expect(flt == 6.626e-34)
        guard case .float(-Double.infinity) = node(root, "inf")?.value else { Issue.record("inf"); return }
        guard case .boolean(true) = node(root, "yes")?.value else { Issue.record("yes"); return }
        guard case .dateTime("1979-05-27 07:32:00Z") = node(root, "when")?.value else { Issue.record("when"); return }
        guard case .dateTime("1979-05-27") = node(root, "day")?.value else { Issue.record("day"); return }
        #expect(node(root, "str")?.keyPosition == SourcePosition(line: 2, column: 1))
        #expect(node(root, "str")?.position == SourcePosition(line: 2, column: 7))

        guard case .array(let list) = node(root, "a", "list")?.value else { Issue.record("list"); return }
        #expect(list.elements.count == 3)
        #expect(list.elements[1].position == SourcePosition(line: 16, column: 3))
        guard case .table(let inline) = list.elements[2].value else { Issue.record("inline"); return }
        #expect(inline[key: "n"]?.position == SourcePosition(line: 17, column: 18))
        guard case .string(let multi) = node(root, "a", "text")?.value else { Issue.record("text"); return }
        #expect(multi == "line one joined\n[not.a.table]\n", "a header inside a multi-line string is text")

        guard case .array(let tables) = node(root, "b", "c")?.value else { Issue.record("b.c"); return }
        #expect(tables.isArrayOfTables && tables.elements.count == 2)
        #expect(node(root, "b", "c", "u")?.position == SourcePosition(line: 27, column: 5), "the latest [[b.c]]")
        #expect(node(root, "b", "c", "d", "deep")?.keyPosition == SourcePosition(line: 29, column: 1))
        #expect(node(root, "b", "c", "d", "quoted.key") != nil)
        #expect(node(root, "b", "c", "d", "dotted", "inner")?.keyPosition == SourcePosition(line: 31, column: 1))
    }

    /// A byte order mark first in the file (Notepad on Windows) is skipped, positions counted
    /// after it; anywhere else it is an error (syntaxErrorsAreLocated).
    @Test func aByteOrderMarkFirstIsSkipped() throws {
        let root = try TOMLParser.parse("\u{FEFF}a = 1\r\nb = 2\r\n")
        #expect(node(root, "a")?.keyPosition == SourcePosition(line: 1, column: 1))
        #expect(node(root, "b")?.position == SourcePosition(line: 2, column: 5))
    }

    @Test func crlfLineEndingsAndEmptyDocument() throws {
        let root = try TOMLParser.parse("a = 1\r\n[t]\r\nb = \"x\"\r\n")
        #expect(node(root, "t", "b")?.position == SourcePosition(line: 3, column: 5))
        #expect(try TOMLParser.parse("").keys.isEmpty)
        #expect(try TOMLParser.parse("# only a comment\n\n").keys.isEmpty)
    }

    @Test(arguments: [
        ("[sampling\ninterval = 1\n", "1:10: expected ']' to close the table header, found a line break"),
        ("a = 1\na = 2\n", "2:1: key 'a' is defined twice"),
        ("[t]\n[t]\n", "2:1: table [t] is defined twice (first at line 1)"),
        ("x = 1\n[x.y]\n", "2:2: 'x' is already integer 1 and cannot hold a table"),
        ("a = [1, 2]\n[[a]]\n", "2:1: [[a]]: 'a' is already an array, not an array of tables"),
        ("a = \"open\n", "1:10: this string is not closed before a line break"),
        ("a = \"bad \\q\"\n", "1:10: unknown escape sequence '\\q'"),
        ("a = 01\n", "1:5: '01' is not a valid value (strings need quotes)"),
        ("a = 1__0\n", "1:5: '1__0' is not a valid value (strings need quotes)"),
        ("a = 9223372036854775808\n", "1:5: integer 9223372036854775808 does not fit in 64 bits"),
        ("a = bare\n", "1:5: 'bare' is not a valid value (strings need quotes)"),
        ("a = 1 b = 2\n", "1:7: expected the end of the line after the value, found 'b'"),
        ("a 1\n", "1:3: expected '=' after the key 'a', found '1'"),
        ("= 1\n", "1:1: expected a key, found '='"),
        ("t = { a = 1, }\n", "1:14: an inline table cannot end with a comma"),
        ("t = { a = 1\n}\n", "1:12: expected ',' or '}' in the inline table, found a line break (inline tables stay on one line)"),
        ("t = { a = 1 }\n[t]\n", "2:1: table [t] is defined twice (first at line 1)"),
        ("[a]\nb.c = 1\n[a.b]\n", "3:1: table [a.b] is defined twice (first at line 2)"),
        ("a = [1 2]\n", "1:8: expected ',' or ']' in the array, found '2'"),
        ("a = \"\"\"never closed\n", "2:1: this multi-line string is not closed"),
        ("a = \"\\u12\"\n", "1:6: \\u needs 4 hexadecimal digits"),
        ("a = 1 # bell \u{07}\n", "1:14: control character U+7 is not allowed in a comment"),
        // What an editor does not show, or shows as ASCII, is named by code point.
        ("a\u{3000}= 1\n", "1:2: expected '=' after the key 'a', found space character U+3000 (only ' ' and tab separate here)"),
        ("a \u{FF1D} 1\n", "1:3: expected '=' after the key 'a', found '\u{FF1D}' (U+FF1D, a full-width '=')"),
        ("a = 1\u{200B}\n", "1:6: expected the end of the line after the value, found invisible character U+200B"),
        ("a = 1\n\u{FEFF}b = 2\n", "2:1: expected a key, found invisible character U+FEFF"),
    ])
    func syntaxErrorsAreLocated(text: String, expected: String) {
        #expect(refusal(text) == expected)
    }

    /// Nesting thousands of levels deep overflowed the parser's stack (a segfault in
    /// check-config): refused where it passes 32 levels. Not test arguments: each would be
    /// printed whole.
    @Test func deepNestingIsRefusedWhereItPassesThirtyTwoLevels() {
        let cases = [
            ("a = " + String(repeating: "[", count: 100_000), "1:37: arrays and inline tables nested more than 32 levels deep"),
            ("a = " + String(repeating: "{b=", count: 100_000), "1:101: arrays and inline tables nested more than 32 levels deep"),
            (Array(repeating: "a", count: 100_000).joined(separator: ".") + " = 1", "1:64: a dotted key of more than 32 parts"),
            ("[" + Array(repeating: "a", count: 100_000).joined(separator: ".") + "]", "1:65: a dotted key of more than 32 parts"),
        ]
        for (text, expected) in cases { #expect(refusal(text) == expected, "\(text.prefix(20))") }
    }

    /// The error a text is refused with; nil when it parses.
    func refusal(_ text: String) -> String? {
        do {
            _ = try TOMLParser.parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func thirtyTwoLevelsStillParse() throws {
        let arrays = "a = " + String(repeating: "[", count: 32) + "1" + String(repeating: "]", count: 32) + "\n"
        let key = Array(repeating: "k", count: 32).joined(separator: ".") + " = 1\n"
        let tables = "t = " + String(repeating: "{b=", count: 32) + "1" + String(repeating: "}", count: 32) + "\n"
        let table = try TOMLParser.parse(arrays + key + tables)
        #expect(table["a"] != nil && table["k"] != nil && table["t"] != nil)
    }
}

extension TOMLTable {
    subscript(key key: String) -> TOMLNode? { self[key] }
}
