import CSQLite

/// A connection to one SQLite file, used from one task at a time.
///
/// surgewatch talks to libsqlite3 directly instead of through GRDB: GRDB links Foundation with
/// ICU, and a probe writing rows through a GRDB DatabasePool measured 17.0 MiB of RSS against
/// 7.1 MiB for the same writes through this C API (BENCHMARKS.md), on a daemon whose whole
/// budget is 15 MiB. What the daemon needs is small: WAL, prepared statements, transactions,
/// versioned migrations.
public final class SQLiteDatabase {
    public let path: String
    let handle: OpaquePointer
    /// BEGIN IMMEDIATE, COMMIT and ROLLBACK, prepared at first use: the daemon commits once a
    /// tick, and `sqlite3_exec` would parse each text again every time.
    private var transactionControl: [TransactionControl: OpaquePointer] = [:]

    private enum TransactionControl: String {
        case begin = "BEGIN IMMEDIATE", commit = "COMMIT", rollback = "ROLLBACK"
    }

    public enum Mode: Sendable { case readWrite, readOnly }

    public init(path: String, mode: Mode = .readWrite, busyTimeoutMilliseconds: Int32 = 200) throws(SQLiteError) {
        self.path = path
        var connection: OpaquePointer?
        // URI: so that ATTACH can name a file read-only ("file:…?mode=ro"); a path not starting
        // with "file:" is read as a path, as without it.
        let flags = (mode == .readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX) | SQLITE_OPEN_URI
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(connection)
            throw SQLiteError(code: code, message: message, context: path, path: path)
        }
        handle = connection
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
    }

    deinit {
        for statement in transactionControl.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    func error(_ code: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), context: "\(path): \(context)", path: path)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code, Self.shorten(sql)) }
    }

    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code, Self.shorten(sql)) }
        return SQLiteStatement(database: self, statement: statement, sql: sql)
    }

    /// Every row of a query, each as its column values.
    public func rows(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        var rows: [[SQLiteValue]] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map(statement.value))
        }
        return rows
    }

    public func run(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// `BEGIN IMMEDIATE` … `COMMIT`, rolled back if `body` throws. IMMEDIATE takes the write
    /// lock up front, so a busy database fails at BEGIN, before any work is done.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try run(.begin)
        do {
            let result = try body()
            try run(.commit)
            return result
        } catch {
            try? run(.rollback)
            throw error
        }
    }

    private func run(_ control: TransactionControl) throws(SQLiteError) {
        let statement: OpaquePointer
        if let prepared = transactionControl[control] {
            statement = prepared
        } else {
            var made: OpaquePointer?
            let code = sqlite3_prepare_v3(handle, control.rawValue, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &made, nil)
            guard code == SQLITE_OK, let made else { throw error(code, control.rawValue) }
            transactionControl[control] = made
            statement = made
        }
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else { throw error(code, control.rawValue) }
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }

    public func userVersion() throws(SQLiteError) -> Int {
        guard case .integer(let version)? = try rows("PRAGMA user_version").first?.first else { return 0 }
        return Int(version)
    }

    static func shorten(_ sql: String) -> String {
        let line = sql.split(whereSeparator: \.isNewline).map { $0.drop { $0 == " " || $0 == "\t" } }.joined(separator: " ")
        return line.count > 80 ? String(line.prefix(77)) + "..." : line
    }
}

/// An SQLite result code with the library's message and where it happened.
public struct SQLiteError: Error, Equatable, CustomStringConvertible, Sendable {
    public var code: Int32
    public var message: String
    public var context: String
    /// The database file, when the error came from one: what a damaged file's message names
    /// (the statement in `context` means nothing to an operator).
    public var path: String? = nil

    public var description: String { "\(context): \(message) (SQLite error \(code))" }

    /// Another connection holds the lock (or the file is locked): worth retrying later.
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }
    /// The disk or the file system is full.
    public var isFull: Bool { code & 0xFF == SQLITE_FULL }
    /// The file's content is damaged ("database disk image is malformed"): it will not heal.
    public var isDamaged: Bool { code & 0xFF == SQLITE_CORRUPT }
}

public enum SQLiteValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var double: Double? {
        switch self {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }

    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}

