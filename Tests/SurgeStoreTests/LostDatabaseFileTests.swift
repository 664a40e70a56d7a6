import Foundation
import Testing
import SurgeDetection
import SurgeSampling
@testable import SurgeStore

/// The store's file removed or replaced while it is open (an operator's `rm` to start afresh, a
/// backup moved into place): the next write goes to the file now at the path, not into one no
/// one can open, and it is said once.
@Suite final class LostDatabaseFileTests {
    let directory = NSTemporaryDirectory() + "surgewatch-lost-\(UUID().uuidString.prefix(8))"
    let schema = MetricSchema(["load1"])
    var path: String { directory + "/surgewatch.db" }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func commit(_ store: SurgeStore, ticks: ClosedRange<Int>) throws {
        for tick in ticks { store.stage(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: [Double(tick)])) }
        try store.commit()
    }

    /// The ticks in the file at `file`, read as a tool reads it.
    func ticks(in file: String) throws -> [Int64] {
        try SQLiteDatabase(path: file, mode: .readOnly).rows("SELECT tick FROM samples ORDER BY id").compactMap { $0[0].integer }
    }

    @Test func aRemovedFileIsStartedAgainAndSaidOnce() throws {
        let store = try SurgeStore(path: path)
        try commit(store, ticks: 1...3)
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        try commit(store, ticks: 4...5)
        #expect(try ticks(in: path) == [4, 5], "the rows after the removal are in a file at the path")
        #expect(store.takeLostFiles() == [LostDatabaseFile(path: path, replaced: false)])
        try commit(store, ticks: 6...6)
        #expect(store.takeLostFiles().isEmpty, "said once")
        #expect(try ticks(in: path) == [4, 5, 6])
    }

    /// The main file removed but its -wal left: the old connection is closed before the path is
    /// opened again, so its -wal (checkpointed into the removed file, then deleted) is not
    /// applied to the new file.
    @Test func aWalLeftBesideARemovedFileIsNotAppliedToTheNewOne() throws {
        let store = try SurgeStore(path: path)
        try commit(store, ticks: 1...3)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        unlink(path)
        try commit(store, ticks: 4...4)
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        #expect(try database.rows("PRAGMA quick_check") == [[.text("ok")]])
        #expect(try ticks(in: path) == [4])
    }

    /// Another surgewatch database beside the store's (ticks 100-102), and the store with
    /// ticks 1-3 written.
    func backupBesideAnOpenStore() throws -> (backup: String, store: SurgeStore) {
        let backup = directory + "/backup.db"
        try commit(try SurgeStore(path: backup), ticks: 100...102)
        let store = try SurgeStore(path: path)
        try commit(store, ticks: 1...3)
        return (backup, store)
    }

    @Test func aFileMovedIntoPlaceTakesTheRowsFromThen() throws {
        let (backup, store) = try backupBesideAnOpenStore()
        #expect(rename(backup, path) == 0)
        try commit(store, ticks: 4...5)
        #expect(try ticks(in: path) == [100, 101, 102, 4, 5], "the file moved there holds its own rows and the new ones")
        #expect(store.takeLostFiles() == [LostDatabaseFile(path: path, replaced: true)])
        #expect(LostDatabaseFile(path: path, replaced: true).message.hasSuffix("the rows go to that file from this tick on"))
    }

    /// A file that is no surgewatch database moved there is never written: the rows wait, as
    /// for a file that cannot be opened.
    @Test func aForeignFileMovedIntoPlaceIsLeftAlone() throws {
        let store = try SurgeStore(path: path)
        try commit(store, ticks: 1...3)
        let foreign = directory + "/notes.txt"
        try Data("someone's notes\n".utf8).write(to: URL(fileURLWithPath: foreign))
        #expect(rename(foreign, path) == 0)
        #expect(throws: StoreError.self) { try self.commit(store, ticks: 4...4) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "someone's notes\n")
        #expect(store.pendingTicks == 4...4, "the tick waits")
    }

    /// A reader inside a transaction on the old file keeps its -wal from being emptied: the file
    /// moved there is not opened meanwhile (its bytes stay as they were) and the rows wait; once
    /// the reader is done, the next commit empties the -wal and writes them to that file.
    @Test func aFileMovedIntoPlaceWaitsForAReaderOfTheOldOne() throws {
        let (backup, store) = try backupBesideAnOpenStore()
        let reader = try SQLiteDatabase(path: path, mode: .readOnly)
        try reader.execute("BEGIN")
        _ = try reader.rows("SELECT count(*) FROM samples")
        let moved = try Data(contentsOf: URL(fileURLWithPath: backup))
        #expect(rename(backup, path) == 0)
        #expect(throws: StoreError.self) { try self.commit(store, ticks: 4...4) }
        #expect(store.unavailable?.hasSuffix("a reader of the old file holds its -wal, which would be applied to the file now there: "
                                             + "it is opened once the reader is done") == true, "\(store.unavailable ?? "open")")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == moved, "the file moved there is untouched")
        #expect(store.takeLostFiles().isEmpty && store.pendingTicks == 4...4, "the tick waits")
        try reader.execute("COMMIT")
        try commit(store, ticks: 5...5)
        #expect(store.unavailable == nil)
        #expect(store.takeLostFiles() == [LostDatabaseFile(path: path, replaced: true)])
        #expect(try ticks(in: path) == [100, 101, 102, 4, 5], "the ticks that waited went to the file moved there")
    }
}
