import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// A database file found damaged, moved out of the way so the daemon goes on with a new one.
///
/// A damaged SQLite file does not heal: every read or write that touches a bad page fails again,
/// so waiting for it (as for a full disk) would keep the host's rows in memory until they are
/// dropped, and refusing to start would leave the shop unwatched. So, as systemd-journald does
/// with a corrupted journal file, the daemon puts a new file in its place holding every row that
/// can still be read (the history, alerts, model checkpoints and the weights referee's record,
/// so the window, online learning's memory and `surgewatch alerts` go on) and renames the
/// damaged one (its -wal beside it). Only the rows on damaged pages stay behind; nothing is
/// deleted.
public struct SetAsideDatabase: Sendable, Equatable {
    /// Where the daemon's database lives (now the new file).
    public var path: String
    /// Where the damaged file was moved.
    public var movedTo: String
    /// What SQLite found wrong.
    public var reason: String
    /// Each table's rows copied into the new file, and those that could not be read.
    public var tables: [TableSalvage]

    /// The error line for the journal: what happened, what was kept, what stayed behind.
    public var message: String {
        var text = "\(path) is damaged (\(reason)): moved to \(movedTo), nothing deleted; a new database starts at \(path)"
        let copied = tables.filter { $0.copied > 0 }.map(\.copiedText)
        text += copied.isEmpty ? " with nothing that could be read from it" : " with what could be read from it: " + copied.joined(separator: ", ")
        let unreadable = tables.filter(\.hasUnreadable).map(\.unreadableText)
        if !unreadable.isEmpty { text += "; unreadable on its damaged pages: " + unreadable.joined(separator: ", ") }
        // Tables that failed alike (a file that cannot be attached fails them all) in one phrase.
        var failed: [(reason: String, tables: [String])] = []
        for table in tables {
            guard let reason = table.failure else { continue }
            if let index = failed.firstIndex(where: { $0.reason == reason }) {
                failed[index].tables.append(table.notCopiedText)
            } else {
                failed.append((reason, [table.notCopiedText]))
            }
        }
        if !failed.isEmpty {
            text += "; not copied: " + failed.map { "\($0.tables.joined(separator: ", ")) (\($0.reason))" }.joined(separator: "; ")
            text += ", still in the moved file"
        }
        return text
    }
}

enum DamagedDatabase {
    /// SQLite's own check of every page and record, at start: damage is found before the
    /// daemon builds on the file, not when retention reaches the bad page weeks later. A 30-day
    /// file at the default metrics takes 126 ms (BENCHMARKS.md).
    static func check(_ database: SQLiteDatabase) throws {
        let findings = try database.rows("PRAGMA quick_check(3)").compactMap { $0.first?.text }
        guard findings != ["ok"] else { return }
        // One line for the journal: a finding may span lines, headed "*** in database main ***".
        let lines = findings.flatMap { $0.split(separator: "\n") }.filter { !$0.hasPrefix("***") }
        throw StoreError.damaged(path: database.path, reason: lines.joined(separator: "; "))
    }

    /// Renames `path` (and its -wal and -shm) to `path.damaged-YYYYMMDDTHHMMSSZ`; the new name.
    static func moveAside(_ path: String, at time: Double) throws -> String {
        var seconds = time_t(time)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var stamp = [CChar](repeating: 0, count: 32)
        strftime(&stamp, stamp.count, "%Y%m%dT%H%M%SZ", &parts)
        let base = path + ".damaged-" + String(decoding: stamp.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A second damage within the same second (a restart loop) must not overwrite the first.
        var movedTo = base
        var attempt = 1
        while access(movedTo, F_OK) == 0 || access(movedTo + "-wal", F_OK) == 0 {
            attempt += 1
            movedTo = base + "~\(attempt)"
        }
        // The -wal first: a crash between the renames leaves its rows beside neither file rather
        // than applied to a new database at the old path.
        for suffix in ["-wal", "-shm", ""] where access(path + suffix, F_OK) == 0 {
            guard rename(path + suffix, movedTo + suffix) == 0 else {
                throw StoreError.unavailable(path: path, reason: "\(path + suffix) is damaged and could not be moved aside: \(String(cString: strerror(errno)))")
            }
        }
        return movedTo
    }

    /// Where the readable rows are copied before the swap.
    static func salvagePath(_ path: String) -> String { path + ".salvage" }

    /// Copies what can be read of the damaged file at `path` into a new file beside it, then
    /// moves the damaged one aside and the new one into its place; the moved file's name and
    /// what was copied. In that order because the copy takes seconds on a long history: a
    /// daemon killed during it finds the damaged file where it was at its next start, and does
    /// it all again, rather than a new file holding part of the rows.
    static func replace(_ path: String, at time: Double) throws -> (movedTo: String, tables: [TableSalvage]) {
        let salvage = salvagePath(path)
        // What a copy cut short left, with any file SQLite keeps beside one.
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(salvage + suffix) }
        let tables: [TableSalvage]
        do {
            let copy = try SQLiteDatabase(path: salvage)
            // A copy cut short is thrown away and made again, so it needs no journal on disk
            // nor a sync per statement (the journal in memory still undoes a failed range):
            // one fsync before the swap makes it durable.
            try copy.execute("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF")
            try StoreSchema.migrate(copy)
            tables = carryOver(from: path, into: copy)
        }  // closed here, before the swap
        try sync(salvage)
        let movedTo = try moveAside(path, at: time)
        guard rename(salvage, path) == 0 else {
            throw StoreError.unavailable(path: path, reason: "the rows copied from the damaged file are in \(salvage), which could not be moved to \(path): \(String(cString: strerror(errno)))")
        }
        // The renames themselves, so a power cut does not bring the damaged file back.
        try sync(directory(of: path))
        return (movedTo, tables)
    }

    /// The directory that holds `path`.
    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// fsync(2) of a file or a directory.
    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.unavailable(path: path, reason: "cannot open it to sync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.unavailable(path: path, reason: "fsync: \(String(cString: strerror(errno)))") }
    }

    /// A daemon killed between the two renames of `replace` left no file at `path` and the
    /// finished copy beside it: the swap is finished now.
    static func finishInterruptedSwap(_ path: String) throws {
        let salvage = salvagePath(path)
        guard access(path, F_OK) != 0, access(salvage, F_OK) == 0 else { return }
        guard rename(salvage, path) == 0 else {
            throw StoreError.unavailable(path: path, reason: "\(salvage) could not be moved to \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The tables copied from a damaged file, the model's first: the daemon needs them most.
    static let tables = ["checkpoints", "referee_record", "alerts", "samples", "predictions"]

    /// Copies every row that can be read from the damaged file at `damaged` into `database`
    /// (new, migrated), attached read-only so the damaged file is left byte for byte.
    static func carryOver(from damaged: String, into database: SQLiteDatabase) -> [TableSalvage] {
        let uri = "file:" + damaged.replacingPercentReserved() + "?mode=ro"
        do {
            try database.run("ATTACH DATABASE ?1 AS damaged", [.text(uri)])
            // Without it, a page whose cell offsets are garbage is read as rows of garbage (the
            // offsets are masked into the page) instead of failing as damaged.
            try database.execute("PRAGMA cell_size_check = ON")
        } catch {
            // SQLite names the URI it could not open; the message names the file already.
            let reason = error.message.hasSuffix(": " + uri) ? String(error.message.dropLast(uri.count + 2)) : error.message
            return tables.map { TableSalvage(table: $0, failure: reason) }
        }
        defer {
            try? database.execute("PRAGMA cell_size_check = OFF")
            try? database.run("DETACH DATABASE damaged")
        }
        return tables.map { DamagedTableCopy(table: $0, database: database).run() }
    }
}

private extension String {
    /// A path as the path part of a SQLite URI: the characters a URI reads specially, escaped.
    func replacingPercentReserved() -> String {
        var out = ""
        for character in self {
            switch character {
            case "%": out += "%25"
            case "?": out += "%3f"
            case "#": out += "%23"
            default: out.append(character)
            }
        }
        return out
    }
}
