import Foundation
import Testing
import SurgeDetection
import SurgeSampling
@testable import SurgeStore

/// Real SQLite files damaged the way a failing disk or a stray write damages them: a page of
/// the samples table overwritten in place. The daemon's store moves such a file aside whole and
/// goes on with a new one; without `settingAsideDamage` (the tools) it is refused untouched.
@Suite final class DamagedDatabaseTests {
    let directory: String
    let schema = MetricSchema(["cpu_busy", "load1", "tcp_established"])

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    init() throws {
        directory = NSTemporaryDirectory() + "surgewatch-damaged-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    var path: String { directory + "/surgewatch.db" }

    /// 600 ticks (several pages of samples and predictions), two checkpoints, the referee's
    /// record and an alert, written by a store that is then closed (so the WAL is checkpointed
    /// into the file).
    func writeHistory() throws {
        let store = try SurgeStore(path: path, settingAsideDamage: true)
        for tick in 1...600 {
            store.stage(Sample(timestamp: 1000 + Double(tick) * 10, tick: tick, schema: schema, values: [0.25, 1.5, Double(tick)]))
            store.stage(PredictionRecord(timestamp: 1000 + Double(tick) * 10, tick: tick, probability: 0.1, state: "normal", label: false))
            if tick % 100 == 0 { try store.commit() }
        }
        store.stage(AlertEvent(alertID: "a1", event: .fired, kind: .predicted, at: 5000, probability: 0.9, peakProbability: 0.9, horizonSeconds: 30))
        try store.commit()
        try store.saveCheckpoint(version: 1, model: [7, 7, 7], metricsJSON: "{\"steps\":3}", at: 4000)
        try store.saveCheckpoint(version: 1, model: [9, 8, 7, 6], metricsJSON: "{\"steps\":9}", at: 6000)
        try store.saveRefereeRecord([4, 5, 6], ticks: 600, context: "trained weights", at: 6000)
    }

    /// The leaf pages of the samples table, in file order.
    func samplePages() throws -> [Int] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        return try database.rows("SELECT pageno FROM dbstat WHERE name = 'samples' AND pagetype = 'leaf' ORDER BY pageno")
            .compactMap { $0[0].integer.map(Int.init) }
    }

    /// Overwrites the cell pointers of `page` (4 KiB pages) with 0xFF: every row on it now
    /// points past the page's end, which SQLite reports as damage, not as data.
    func damage(page: Int) throws {
        let file = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? file.close() }
        try file.seek(toOffset: UInt64((page - 1) * 4096 + 8))
        try file.write(contentsOf: Data(repeating: 0xFF, count: 64))
    }

    func fileBytes(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file)) }

    func tickIDs(_ store: SurgeStore) throws -> [Int64] {
        try store.rows("SELECT id FROM samples ORDER BY id").compactMap { $0[0].integer }
    }

    @Test func aDamagedFileIsMovedAsideWholeAndTheNewOneHasEveryRowThatCanBeRead() throws {
        try writeHistory()
        let pages = try samplePages()
        #expect(pages.count >= 3, "\(pages)")
        try damage(page: pages[1])
        let damaged = try fileBytes(path)

        let store = try SurgeStore(path: path, waitingForTheFile: true, settingAsideDamage: true)
        let setAside = store.takeSetAside()
        #expect(setAside.count == 1)
        let moved = try #require(setAside.first)
        #expect(moved.path == path)
        #expect(moved.movedTo.hasPrefix(path + ".damaged-20"), "\(moved.movedTo)")
        #expect(moved.reason.hasPrefix("On tree page \(pages[1]) cell "), "\(moved.reason)")
        #expect(!moved.reason.contains("\n"))
        #expect(moved.tables.map(\.table) == ["checkpoints", "referee_record", "alerts", "samples", "predictions"])
        #expect(moved.tables.map(\.copied) == [2, 1, 1, moved.tables[3].copied, 600])
        #expect(moved.tables.allSatisfy { $0.failure == nil && $0.unreadableBelow == nil && $0.unreadableAbove == nil })
        // The rows of the damaged page, one stretch of ids, are all that is missing.
        let samples = moved.tables[3]
        let lost = try #require(samples.unreadable.first)
        #expect(samples.unreadable.count == 1 && lost.lowerBound > 1 && lost.upperBound < 600, "\(samples)")
        #expect(samples.copied + lost.count == 600)
        #expect(try tickIDs(store) == Array(1...600).filter { !lost.contains(Int64($0)) }.map(Int64.init))
        #expect(moved.message == "\(path) is damaged (\(moved.reason)): moved to \(moved.movedTo), nothing deleted; "
            + "a new database starts at \(path) with what could be read from it: 2 model checkpoints, the weights referee's record, 1 alert, "
            + "\(samples.copied) ticks' samples, 600 predictions; unreadable on its damaged pages: samples ids \(lost.lowerBound)-\(lost.upperBound)")
        #expect(store.takeSetAside().isEmpty, "said once")

        // Nothing lost: the damaged file is where the message says, byte for byte.
        #expect(try fileBytes(moved.movedTo) == damaged)
        // The new file: intact; the rows as they were, the model and the referee's record too.
        #expect(try store.rows("PRAGMA quick_check").first?.first?.text == "ok")
        #expect(try store.rows("SELECT tick, load1, tcp_established FROM samples WHERE id = 600").first == [.integer(600), .real(1.5), .real(600)])
        #expect(try store.openAlerts().map(\.id) == ["a1"])
        let checkpoint = try #require(try store.latestCheckpoint())
        #expect(checkpoint.model == [9, 8, 7, 6] && checkpoint.createdAt == 6000 && checkpoint.metricsJSON == "{\"steps\":9}")
        let record = try #require(try store.refereeRecord())
        #expect(record.record == [4, 5, 6] && record.context == "trained weights" && record.savedAt == 6000)

        // The daemon goes on writing to the new file.
        store.stage(Sample(timestamp: 7000, tick: 1, schema: schema, values: [0.5, 2, 3]))
        try store.commit()
        #expect(try store.rows("SELECT count(*) FROM samples").first?.first?.integer == Int64(samples.copied + 1))
    }

    /// A damaged last page cannot be passed (the table's largest id is out of reach): the rows
    /// up to it are copied, and the message says the ids above the last copied are unreadable.
    @Test func aDamagedLastPageLeavesTheIdsAboveTheLastCopiedOne() throws {
        try writeHistory()
        let pages = try samplePages()
        // The last leaf in id order is the table's rightmost page; its first id is one past
        // the previous leaf's last, which is what must be copied.
        let lastLeaf = try #require(pages.max { try! firstID(onPage: $0) < firstID(onPage: $1) })
        let firstLost = try firstID(onPage: lastLeaf)
        try damage(page: lastLeaf)
        let store = try SurgeStore(path: path, settingAsideDamage: true)
        let samples = try #require(store.takeSetAside().first?.tables.first { $0.table == "samples" })
        #expect(samples.unreadableAbove == firstLost - 1)
        #expect(samples.unreadable.isEmpty && samples.unreadableBelow == nil && samples.failure == nil)
        #expect(try tickIDs(store) == Array(1...(firstLost - 1)))
        #expect(samples.unreadableText == "samples ids above \(firstLost - 1)")
    }

    /// The smallest id on a leaf page of a table, read from the file's bytes: the page's first
    /// cell pointer (after its 8-byte header) leads to a cell that holds the payload's length
    /// and then the row's id, each a SQLite varint.
    func firstID(onPage page: Int) throws -> Int64 {
        let bytes = [UInt8](try fileBytes(path)[((page - 1) * 4096)..<(page * 4096)])
        #expect(bytes[0] == 0x0D, "page \(page) is a table leaf")
        var offset = Int(bytes[8]) << 8 | Int(bytes[9])
        func varint() -> Int64 {
            var value: Int64 = 0
            for index in 0..<9 {
                let byte = bytes[offset]
                offset += 1
                if index == 8 { return value << 8 | Int64(byte) }
                value = value << 7 | Int64(byte & 0x7F)
                if byte & 0x80 == 0 { break }
            }
            return value
        }
        _ = varint()  // the payload's length
        return varint()
    }

    /// The tools (test-alert, the bench) open the file without setting damage aside: refused,
    /// named, and the file left as it was.
    @Test func withoutSettingAsideADamagedFileIsRefusedAndLeftAsItWas() throws {
        try writeHistory()
        let pages = try samplePages()
        try damage(page: pages[0])
        let damaged = try fileBytes(path)
        do {
            _ = try SurgeStore(path: path)
            Issue.record("opened a damaged file")
        } catch let error as StoreError {
            guard case .damaged(let named, let reason) = error else { Issue.record("\(error)"); return }
            #expect(named == path)
            #expect(error.description == "\(path): the database is damaged: \(reason); the daemon moves it aside at its next start "
                + "(systemctl restart surgewatch) and copies every row it can still read into a new one")
            #expect(reason.hasPrefix("On tree page \(pages[0]) cell "), "\(reason)")
        }
        #expect(try fileBytes(path) == damaged)
        let left = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(!left.contains { $0.contains(".damaged-") }, "\(left)")
    }

    /// Damage that appears while the daemon runs is met by the retention pass, which reads the
    /// oldest page: the file goes aside then, with every row past that page copied, the pass
    /// runs again on the new file, and the rows staged meanwhile are written there.
    @Test func damageMetByTheRetentionPassWhileRunningMovesTheFileAside() throws {
        try writeHistory()
        let store = try SurgeStore(path: path, waitingForTheFile: true, settingAsideDamage: true)
        #expect(store.takeSetAside().isEmpty)
        let pages = try samplePages()
        let secondLeafStart = try pages.map(firstID(onPage:)).sorted()[1]
        try damage(page: pages[0])
        // The connection's page cache holds what the start-up check read: drop it, so the
        // oldest page is read from the file again, as it would be weeks after the start.
        _ = try store.rows("PRAGMA shrink_memory")
        store.stage(Sample(timestamp: 9000, tick: 601, schema: schema, values: [0.5, 2, 3]))
        // Retention up to the second page's first tick: of the samples, only the damaged page's
        // are older, so it deletes just the predictions of those ticks, from the new file.
        #expect(try store.prune(olderThan: 1000 + Double(secondLeafStart) * 10) == Int(secondLeafStart) - 1)
        let moved = try #require(store.takeSetAside().first)
        #expect(moved.reason == "database disk image is malformed")
        let samples = try #require(moved.tables.first { $0.table == "samples" })
        #expect(samples.unreadableBelow == secondLeafStart && samples.copied == 600 - Int(secondLeafStart) + 1, "\(samples)")
        #expect(moved.message.hasSuffix("unreadable on its damaged pages: samples ids below \(secondLeafStart)"), "\(moved.message)")
        try store.commit()
        #expect(try tickIDs(store) == Array(secondLeafStart...601))
        #expect(try store.openAlerts().map(\.id) == ["a1"])

        // The new file damaged within the hour (a failing disk): not moved again, which would
        // copy the whole history at every tick; the call fails like any fault.
        _ = try store.rows("PRAGMA wal_checkpoint(TRUNCATE)")  // the pages in the file, not the WAL
        // The page retention reads first: the leaf with the smallest ids, wherever the copy put it.
        let oldest = try #require(try samplePages().map { ($0, try firstID(onPage: $0)) }.min { $0.1 < $1.1 }?.0)
        try damage(page: oldest)
        _ = try store.rows("PRAGMA shrink_memory")
        #expect(throws: SQLiteError.self) { try store.prune(olderThan: 9000) }
        #expect(store.takeSetAside().isEmpty)
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".damaged-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        #expect(left.count == 1, "\(left)")
    }

    /// The rows are copied into a file beside the damaged one before the two are swapped, so a
    /// daemon killed during the copy finds the damaged file in place at its next start and
    /// copies again, over what the cut-short copy left (its rollback journal is not replayed).
    @Test func aCopyCutShortIsDoneAgainAtTheNextStart() throws {
        try writeHistory()
        try damage(page: try samplePages()[1])
        let salvage = path + ".salvage"
        try Data(repeating: 0x5A, count: 10_000).write(to: URL(fileURLWithPath: salvage))
        try Data(repeating: 0x5A, count: 512).write(to: URL(fileURLWithPath: salvage + "-journal"))
        let store = try SurgeStore(path: path, settingAsideDamage: true)
        let moved = try #require(store.takeSetAside().first)
        #expect(moved.tables.map(\.copied) == [2, 1, 1, moved.tables[3].copied, 600])
        let samples = moved.tables[3]
        #expect(samples.unreadable.count == 1 && samples.copied + (samples.unreadable.first?.count ?? 0) == 600, "\(samples)")
        #expect(try store.rows("PRAGMA quick_check").first?.first?.text == "ok")
        #expect(!FileManager.default.fileExists(atPath: salvage) && !FileManager.default.fileExists(atPath: salvage + "-journal"))
    }

    /// Killed between the swap's two renames: no file at the path, the finished copy beside it.
    /// The next start finishes the swap instead of starting an empty database.
    @Test func aSwapCutShortBetweenItsRenamesIsFinishedAtTheNextStart() throws {
        try writeHistory()
        try FileManager.default.moveItem(atPath: path, toPath: path + ".salvage")
        let store = try SurgeStore(path: path, settingAsideDamage: true)
        #expect(try tickIDs(store).count == 600)
        #expect(try store.latestCheckpoint()?.model == [9, 8, 7, 6])
        #expect(!FileManager.default.fileExists(atPath: path + ".salvage"))
        #expect(store.takeSetAside().isEmpty)
    }

    /// A damaged first page (the schema's) leaves nothing SQLite can read: the file still goes
    /// aside and a new one starts, and the message says in one phrase that no table was copied.
    @Test func aDamagedSchemaPageLeavesNothingToCopyAndSaysSoOnce() throws {
        try writeHistory()
        let file = try #require(FileHandle(forUpdatingAtPath: path))
        try file.seek(toOffset: 100 + 8)  // page 1's b-tree header follows the 100-byte file header
        try file.write(contentsOf: Data(repeating: 0xFF, count: 64))
        try file.close()
        let store = try SurgeStore(path: path, settingAsideDamage: true)
        let moved = try #require(store.takeSetAside().first)
        #expect(moved.tables.allSatisfy { $0.copied == 0 && $0.failure != nil })
        let reason = try #require(moved.tables.first?.failure)
        #expect(moved.tables.allSatisfy { $0.failure == reason }, "\(moved.tables)")
        #expect(moved.message.hasSuffix("a new database starts at \(path) with nothing that could be read from it; "
            + "not copied: checkpoints, referee_record, alerts, samples, predictions (\(reason)), still in the moved file"), "\(moved.message)")
        #expect(try tickIDs(store).isEmpty)
        #expect(FileManager.default.fileExists(atPath: moved.movedTo))
    }

    /// Two damaged files within one second (a restart loop) keep both.
    @Test func aSecondFileSetAsideInTheSameSecondDoesNotReplaceTheFirst() throws {
        try Data("first".utf8).write(to: URL(fileURLWithPath: path))
        let first = try DamagedDatabase.moveAside(path, at: 1_780_000_000)
        try Data("second".utf8).write(to: URL(fileURLWithPath: path))
        try Data("its wal".utf8).write(to: URL(fileURLWithPath: path + "-wal"))
        let second = try DamagedDatabase.moveAside(path, at: 1_780_000_000)
        #expect(first == path + ".damaged-20260528T202640Z")
        #expect(second == first + "~2")
        #expect(String(decoding: try fileBytes(first), as: UTF8.self) == "first")
        #expect(String(decoding: try fileBytes(second), as: UTF8.self) == "second")
        #expect(String(decoding: try fileBytes(second + "-wal"), as: UTF8.self) == "its wal")
        #expect(!FileManager.default.fileExists(atPath: path) && !FileManager.default.fileExists(atPath: path + "-wal"))
    }
}
