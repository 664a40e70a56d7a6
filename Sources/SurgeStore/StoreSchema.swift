#if canImport(Glibc)
import Glibc
#endif
/// The database layout, as numbered migrations. `PRAGMA user_version` holds the version a file
/// is at; opening a file applies every later migration in one transaction each. A file from a
/// newer surgewatch is refused rather than written in a layout this build does not know.
public enum StoreSchema {
    public struct Migration: Sendable {
        public var version: Int
        public var sql: String
    }

    public static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            -- One row per tick. Metric columns (REAL, NULL = missing) are added as metrics
            -- appear, named as the daemon names them, so `SELECT ts, cpu_busy FROM samples` works.
            CREATE TABLE samples (
                id INTEGER PRIMARY KEY,
                ts REAL NOT NULL,           -- Unix seconds
                tick INTEGER NOT NULL
            );
            CREATE TABLE predictions (
                id INTEGER PRIMARY KEY,
                ts REAL NOT NULL,
                tick INTEGER NOT NULL,
                probability REAL,           -- p(overload within the horizon); NULL before the window fills
                state TEXT NOT NULL,        -- normal | warming_up | no_data | predicted | breached
                label INTEGER               -- the SLO rule's verdict at this tick, NULL when unknown
            );
            CREATE TABLE alerts (
                id TEXT PRIMARY KEY,        -- SURGE_ALERT_ID in the journal
                kind TEXT NOT NULL CHECK (kind IN ('predicted', 'breached')),
                fired_at REAL NOT NULL,
                escalated_at REAL,          -- a predicted alert that became a breach
                resolved_at REAL,           -- NULL while open
                peak_probability REAL NOT NULL,
                horizon_seconds REAL NOT NULL,
                message TEXT NOT NULL,      -- the fired event's MESSAGE
                top_features TEXT NOT NULL DEFAULT '[]',  -- JSON [{"name":..,"baseline":..,"recent":..}]
                note TEXT                   -- how it resolved, when not by calming down
            );
            CREATE INDEX alerts_fired_at ON alerts (fired_at);
            CREATE TABLE checkpoints (
                id INTEGER PRIMARY KEY,
                created_at REAL NOT NULL,
                version INTEGER NOT NULL,   -- model file format version
                model BLOB NOT NULL,
                metrics TEXT NOT NULL DEFAULT '{}'        -- JSON: loss, windows seen, ...
            );
            """),
        Migration(version: 2, sql: """
            -- The record by which the daemon chooses between the trained weights and those it
            -- learned on this host (which would have warned of the last days' overloads, with how
            -- many false alarms): one row, replaced every hour and at shutdown, read at start.
            CREATE TABLE referee_record (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                saved_at REAL NOT NULL,
                context TEXT NOT NULL,      -- what it compared under: trained weights, SLO rule, alert policy; another is not used
                ticks INTEGER NOT NULL,
                record BLOB NOT NULL        -- WeightsReferee.encodedRecord
            );
            """),
    ]

    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Brings `database` to `target` (default: latest). Returns the version it started at.
    @discardableResult
    public static func migrate(_ database: SQLiteDatabase, upTo target: Int = latestVersion) throws -> Int {
        let current = try database.userVersion()
        guard current <= latestVersion else {
            throw StoreError.newerSchema(path: database.path, version: current, supported: latestVersion)
        }
        for migration in migrations where migration.version > current && migration.version <= target {
            try database.transaction {
                try database.execute(migration.sql)
                try database.execute("PRAGMA user_version = \(migration.version)")
            }
        }
        return current
    }
}

public enum StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    case newerSchema(path: String, version: Int, supported: Int)
    case notADatabase(path: String, reason: String)
    /// The file could not be opened (yet): the store waits for it.
    case unavailable(path: String, reason: String)
    /// A reader found no file at the path.
    case missing(path: String)
    /// SQLite found the file's pages or records damaged; the daemon moves such a file aside.
    case damaged(path: String, reason: String)

    public var description: String {
        switch self {
        case .newerSchema(let path, let version, let supported):
            return "\(path): database schema version \(version) is newer than this surgewatch knows (\(supported)); it was not changed"
        case .notADatabase(let path, let reason):
            // The file may be someone's data: it is never overwritten, so say how to go on.
            return "\(path): not a surgewatch database: \(reason); it was not changed (move it away, or set [store] path to another file)"
        case .unavailable(_, let reason):
            return "not open: \(reason)"
        case .damaged(let path, let reason):
            // Only the tools see this: the daemon sets such a file aside (SetAsideDatabase).
            return "\(path): the database is damaged: \(reason); the daemon moves it aside at its next start "
                + "(systemctl restart surgewatch) and copies every row it can still read into a new one"
        case .missing(let path):
            return "\(path): no database there; the daemon creates it when it starts (is surgewatch running, with this store.path and state directory?)"
        }
    }
}

extension StoreSchema {
    /// A read-only connection to a database the daemon may be writing (WAL: readers never make
    /// the writer wait), checked to hold surgewatch's tables in a version this build knows.
    static func openForReading(_ path: String) throws -> SQLiteDatabase {
        try openExisting(path, mode: .readOnly)
    }

    /// The same, or read-write for a tool's own change to the file (`forget`), never creating it.
    static func openExisting(_ path: String, mode: SQLiteDatabase.Mode) throws -> SQLiteDatabase {
        // SQLite's "unable to open database file" does not say that the file is simply not there.
        guard access(path, F_OK) == 0 else { throw StoreError.missing(path: path) }
        let database = try SQLiteDatabase(path: path, mode: mode, busyTimeoutMilliseconds: 2000)
        // As the daemon's own connection does (SurgeStore): without cell_size_check, a damaged
        // page's cell pointers are masked into the page and read as rows of garbage, whose
        // NULL times a `WHERE ts >= ?` drops, so a tool would write a trace rows short and
        // exit 0 instead of saying the file is damaged.
        try database.execute("PRAGMA cell_size_check = ON")
        let version = try database.userVersion()
        guard version >= 1 else { throw StoreError.notADatabase(path: path, reason: "no surgewatch tables (schema version 0)") }
        guard version <= latestVersion else {
            throw StoreError.newerSchema(path: path, version: version, supported: latestVersion)
        }
        return database
    }
}
