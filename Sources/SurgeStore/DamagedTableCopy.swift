import CSQLite
import SurgeDetection

/// One table's rows copied out of a damaged file.
public struct TableSalvage: Sendable, Equatable {
    public var table: String
    public var copied = 0
    /// Row ids the copy could not read, as ranges; ids retention had deleted count in them too,
    /// since a damaged page cannot say which rows it held.
    public var unreadable: [ClosedRange<Int64>] = []
    /// When the table's first or last page is damaged, where the unreadable end begins: its ids
    /// below (above) this one, the nearest copied, could not be read nor counted.
    public var unreadableBelow: Int64?
    public var unreadableAbove: Int64?
    /// Why the table could not be copied, or not all of it (the file or both of its ends
    /// unreadable; a disk that filled during the copy).
    public var failure: String?
    /// When a failure stopped the copy partway: the ids past this one, the farthest copied,
    /// were not copied (above it, or below it when the copy ran down from the table's end).
    public var stoppedAfter: Int64?
    public var stoppedGoingDown = false

    public init(table: String, failure: String? = nil) {
        self.table = table
        self.failure = failure
    }

    var hasUnreadable: Bool { !unreadable.isEmpty || unreadableBelow != nil || unreadableAbove != nil }

    var copiedText: String {
        switch table {
        case "samples": return ForgottenSpan.ticksSamples(copied)
        case "referee_record": return "the weights referee's record"
        case "checkpoints": return NumberText.counted(copied, "model checkpoint")
        default: return "\(copied) \(copied == 1 ? String(table.dropLast()) : table)"
        }
    }

    /// The table as the message's "not copied" names it: the ids a copy stopped short of.
    var notCopiedText: String {
        guard let stop = stoppedAfter else { return table }
        return "\(table) ids \(stoppedGoingDown ? "below" : "above") \(stop)"
    }

    var unreadableText: String {
        var parts = unreadable.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        if let below = unreadableBelow { parts.insert("below \(below)", at: 0) }
        if let above = unreadableAbove { parts.append("above \(above)") }
        return "\(table) ids " + parts.joined(separator: ", ")
    }
}

/// Copies one table of the damaged file (attached as `damaged`) into the new one (`main`), rows
/// keeping their ids, in ranges of ids: a range that meets a damaged page fails whole (SQLite
/// undoes the statement), so it is halved until the ids on that page are singled out, and the
/// rows on either side are copied.
struct DamagedTableCopy {
    let table: String
    let database: SQLiteDatabase
    static let chunk: Int64 = 4096

    func run() -> TableSalvage {
        var salvage = TableSalvage(table: table)
        var goingDown = false
        do throws(SQLiteError) {
            let insert = try prepareInsert()
            switch (end("min"), end("max")) {
            case (.success(nil), _), (_, .success(nil)):
                break  // empty
            case (.success(let first?), .success(let last?)):
                var low = first
                while low <= last {
                    let high = min(last, low + Self.chunk - 1)
                    try copy(low...high, insert, &salvage)
                    low = high + 1
                }
            case (.success(let first?), .failure):
                salvage.unreadableAbove = try scan(from: first, upward: true, insert, &salvage)
            case (.failure, .success(let last?)):
                goingDown = true
                salvage.unreadableBelow = try scan(from: last, upward: false, insert, &salvage)
            case (.failure(let error), .failure):
                throw error
            }
        } catch {
            salvage.failure = error.message
            // Rows were copied before it failed (the disk filled): say where it stopped, since
            // the message's count alone reads as the whole table.
            if salvage.copied > 0 {
                salvage.stoppedGoingDown = goingDown
                salvage.stoppedAfter = try? database.rows("SELECT \(goingDown ? "min" : "max")(rowid) FROM main.\(table)").first?.first?.integer
            }
        }
        salvage.unreadable = Self.merged(salvage.unreadable)
        return salvage
    }

    /// Ranges in id order, neighbours joined (a downward scan meets them last first).
    static func merged(_ ranges: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
        var out: [ClosedRange<Int64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, last.upperBound + 1 >= range.lowerBound {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        return out
    }

    /// `INSERT INTO main.T (…) SELECT … FROM damaged.T WHERE rowid BETWEEN ?1 AND ?2`, with
    /// the rowid copied too, so that the new file's ids say which rows were saved; and the same
    /// for one id (`rowid = ?1`), a lookup that reads no row but that one: a range's scan steps
    /// onto the next page to see where it ends, so the last row before a damaged page would
    /// fail with it.
    private func prepareInsert() throws(SQLiteError) -> Inserts {
        let info = try database.rows("PRAGMA damaged.table_info(\(table))")
        guard !info.isEmpty else { throw SQLiteError(code: SQLITE_CORRUPT, message: "no such table in it", context: table) }
        let columns = info.compactMap { $0[1].text }
        if table == "samples" {
            // The metrics the damaged file had beyond the new file's base columns.
            let present = Set(try database.rows("PRAGMA main.table_info(samples)").compactMap { $0[1].text })
            for name in columns where !present.contains(name) {
                try database.execute("ALTER TABLE main.samples ADD COLUMN \"\(name)\" REAL")
            }
        }
        // An INTEGER PRIMARY KEY is the rowid; any other table gets its rowid named.
        let rowidIsAColumn = info.contains { $0[2].text?.uppercased() == "INTEGER" && $0[5].integer == 1 }
        let list = (rowidIsAColumn ? [] : ["rowid"]) + columns.map { "\"\($0)\"" }
        let names = list.joined(separator: ", ")
        let copy = "INSERT INTO main.\(table) (\(names)) SELECT \(names) FROM damaged.\(table) WHERE "
        return Inserts(range: try database.prepare(copy + "rowid BETWEEN ?1 AND ?2"), one: try database.prepare(copy + "rowid = ?1"))
    }

    struct Inserts {
        let range: SQLiteStatement
        let one: SQLiteStatement
    }

    /// After SQLite reports a damaged page it keeps the page in its cache as read, and the next
    /// statement would read it unchecked (as rows of garbage or none): drop the cache first.
    private func forgetDamagedPages() {
        try? database.execute("PRAGMA shrink_memory")
    }

    /// The table's smallest or largest rowid (nil when empty), or the damage met on the way to it.
    private func end(_ function: String) -> Result<Int64?, SQLiteError> {
        let result = Result { () throws(SQLiteError) in try database.rows("SELECT \(function)(rowid) FROM damaged.\(table)").first?.first?.integer }
        if case .failure = result { forgetDamagedPages() }
        return result
    }

    /// With one end of the table unreadable: chunk after chunk from the other end until two in
    /// a row copy nothing. Returns the farthest id copied; the unreadable ranges met past it are
    /// the damaged end's, said as "below" or "above" that id rather than as ranges.
    private func scan(from start: Int64, upward: Bool, _ insert: Inserts, _ salvage: inout TableSalvage) throws(SQLiteError) -> Int64 {
        var position = start, quiet = 0
        while quiet < 2 {
            let range = upward ? position...(position + Self.chunk - 1) : max(1, position - Self.chunk + 1)...position
            let before = salvage.copied
            try copy(range, insert, &salvage)
            quiet = salvage.copied > before ? 0 : quiet + 1
            if !upward && range.lowerBound == 1 { break }
            position = upward ? range.upperBound + 1 : range.lowerBound - 1
        }
        let farthest = try database.rows("SELECT \(upward ? "max" : "min")(rowid) FROM main.\(table)").first?.first?.integer ?? start
        salvage.unreadable.removeAll { upward ? $0.lowerBound > farthest : $0.upperBound < farthest }
        return farthest
    }

    private func copy(_ ids: ClosedRange<Int64>, _ insert: Inserts, _ salvage: inout TableSalvage) throws(SQLiteError) {
        let statement = ids.count == 1 ? insert.one : insert.range
        do throws(SQLiteError) {
            try statement.bind(ids.count == 1 ? [.integer(ids.lowerBound)] : [.integer(ids.lowerBound), .integer(ids.upperBound)])
            while try statement.step() {}
            salvage.copied += database.changes
        } catch where error.isDamaged {
            statement.reset()  // its cursor holds the page until then
            forgetDamagedPages()
            guard ids.count > 1 else {
                salvage.unreadable.append(ids)
                return
            }
            let middle = ids.lowerBound + (ids.upperBound - ids.lowerBound) / 2
            try copy(ids.lowerBound...middle, insert, &salvage)
            try copy((middle + 1)...ids.upperBound, insert, &salvage)
        }
    }
}
