import CSQLite

/// A prepared statement, reused across ticks: binding and stepping allocate nothing new.
public final class SQLiteStatement {
    private let database: SQLiteDatabase
    private let statement: OpaquePointer
    let sql: String

    init(database: SQLiteDatabase, statement: OpaquePointer, sql: String) {
        self.database = database
        self.statement = statement
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(statement)
    }

    /// SQLite copies text and blobs it is given with this destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Resets the statement and binds `values` to ?1, ?2, ...
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(statement, index)
            case .integer(let v): code = sqlite3_bind_int64(statement, index, v)
            case .real(let v): code = v.isFinite ? sqlite3_bind_double(statement, index, v) : sqlite3_bind_null(statement, index)
            case .text(let v): code = sqlite3_bind_text(statement, index, v, -1, Self.transient)
            case .blob(let v):
                code = v.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            guard code == SQLITE_OK else { throw database.error(code, "binding ?\(index) of \(SQLiteDatabase.shorten(sql))") }
        }
    }

    /// Binds a double, NaN and infinities as NULL (a missing metric).
    public func bind(_ value: Double, at index: Int32) {
        if value.isFinite { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    public func reset() {
        sqlite3_reset(statement)
    }

    /// Advances; true while there is a row to read.
    public func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(statement)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            sqlite3_reset(statement)
            throw database.error(code, SQLiteDatabase.shorten(sql))
        }
    }

    public var columnCount: Int { Int(sqlite3_column_count(statement)) }

    public func value(_ column: Int) -> SQLiteValue {
        let index = Int32(column)
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }
}
