import Glibc
import SurgeSampling

extension ConfigLoader {
    /// An HTTP source's request headers: `headers`, values written in the config, and
    /// `header_files`, values read from files, for secrets (a bearer token) that do not belong
    /// in a config every local user may read (the shipped unit's dynamic user reads it as
    /// "others"). A relative file is looked for in `$CREDENTIALS_DIRECTORY`, where systemd puts
    /// what the unit's `LoadCredential=` names, and without it beside the config.
    /// `reserved`: header names (lower-case) the source sets itself, with why.
    static func headers(_ t: TableReader, reserved: [String: String] = [:]) -> [SurgeConfig.HTTPHeader] {
        var headers: [SurgeConfig.HTTPHeader] = []
        func add(_ name: String, _ value: String, _ table: TableReader, _ node: TOMLNode, from file: String? = nil) {
            let problem = headerValueProblem(value)
            if let problem {
                table.fail(name, file.map { "\($0): \(problem)" } ?? problem)
            } else if let earlier = headers.first(where: { $0.name.lowercased() == name.lowercased() }) {
                table.fail(name, "'\(name)' is given twice (as '\(earlier.name)'): header names are case-insensitive")
            } else if ["content-length", "transfer-encoding", "connection"].contains(name.lowercased()) {
                table.context.fail(table.keyPath(name), "'\(name)' belongs to the connection, not the request: it is not the config's to set",
                                   at: node.keyPosition)
            } else if let why = reserved[name.lowercased()] {
                table.context.fail(table.keyPath(name), "'\(name)' is the source's own: \(why)", at: node.keyPosition)
            } else {
                headers.append(SurgeConfig.HTTPHeader(name: name, value: value, file: file))
            }
        }
        if let table = t.table("headers") {
            for (name, node) in table.entries() where isHeaderName(name, table, node) {
                guard case .string(let value) = node.value else {
                    table.fail(name, "expected the header's value as a string, got \(node.value.summary)")
                    continue
                }
                add(name, value, table, node)
            }
        }
        if let table = t.table("header_files") {
            for (name, node) in table.entries() where isHeaderName(name, table, node) {
                guard case .string(let file) = node.value, !file.isEmpty else {
                    table.fail(name, "expected the path of a file holding the header's value, got \(node.value.summary)")
                    continue
                }
                guard table.context.readsSourceFiles else { continue }
                let path = headerFilePath(file, config: table.context.file)
                switch readHeaderFile(path) {
                case .success(let value): add(name, value, table, node, from: path)
                case .failure(let reason): table.fail(name, "cannot read \(path): \(reason)\(reason.userHint)")
                }
            }
        }
        return headers
    }

    /// Where a `header_files` value is read: as written when absolute, else in systemd's
    /// credentials directory when the daemon runs with one, else beside the config.
    static func headerFilePath(_ file: String, config: String, credentials: String? = credentialsDirectory()) -> String {
        if file.hasPrefix("/") { return file }
        if let credentials { return credentials + "/" + file }
        let directory = config.lastIndex(of: "/").map { String(config[..<$0]) } ?? "."
        return (directory.isEmpty ? "" : directory) + "/" + file
    }

    /// systemd's `$CREDENTIALS_DIRECTORY`, when the daemon runs with one.
    static func credentialsDirectory() -> String? {
        guard let value = getenv("CREDENTIALS_DIRECTORY").map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value
    }

    /// The file's first line (a final newline is not the value's), or why it cannot serve.
    static func readHeaderFile(_ path: String) -> Result<String, ReadFailure> {
        let bytes: [UInt8]
        switch readSecretFile(path, limit: 8 << 10, holding: "a value", tooLarge: "larger than 8 KiB; not a header's value") {
        case .success(let read): bytes = read
        case .failure(let failure): return .failure(failure)
        }
        guard var text = String(validating: bytes, as: UTF8.self) else { return .failure(ReadFailure(message: "not valid UTF-8")) }
        // "\r\n" is one Character to Swift: one removeLast takes either ending whole.
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        return .success(text)
    }

    /// A file that may hold a secret, whole, or why it cannot serve: absent (said with the unit's
    /// credentials when it was looked for there), unreadable, larger than `limit`, or not a
    /// regular file (`holding` says what it should hold).
    static func readSecretFile(_ path: String, limit: Int, holding: String, tooLarge: String) -> Result<[UInt8], ReadFailure> {
        // A FIFO or a terminal would block the start (or a reload) until someone wrote to it.
        if let kind = notARegularFile(path) { return .failure(ReadFailure(message: "\(kind), not a file holding \(holding)")) }
        do {
            return .success(try ProcFileReader(limit: limit).read(path).bytes)
        } catch {
            switch error {
            case .missing:
                var failure = ReadFailure(errno: ENOENT)
                if let credentials = credentialsDirectory(), path.hasPrefix(credentials + "/") {
                    failure.userHint = " (no LoadCredential= of the unit names it)"
                }
                return .failure(failure)
            case .unreadable(_, let code): return .failure(ReadFailure(errno: code, credentialHint: true))
            case .tooLarge: return .failure(ReadFailure(message: tooLarge))
            }
        }
    }

    /// What `path` is when it exists and is not a regular file ("a directory", "a FIFO", "a
    /// device"), else nil.
    static func notARegularFile(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "not a regular file"
        }
    }

    /// What keeps `value` from being sent as a header's value, or nil.
    static func headerValueProblem(_ value: String) -> String? {
        if let bad = value.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7f }) {
            return "the value holds a control character (U+\(hex4(bad.value))): a header's value is one line"
        }
        if value.allSatisfy({ $0 == " " || $0 == "\t" }) { return "the value is empty: leave the header out instead" }
        return nil
    }

    /// RFC 9110's token: a CR, LF, colon or space in a name would write another header.
    private static func isHeaderName(_ name: String, _ table: TableReader, _ node: TOMLNode) -> Bool {
        let valid = !name.isEmpty && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0))
        }
        if !valid {
            table.context.fail(table.keyPath(name), "'\(name)' is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)", at: node.keyPosition)
        }
        return valid
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
