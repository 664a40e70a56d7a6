import Foundation
import Testing
import SurgeStore

/// Damages a surgewatch database as a failing disk or a stray write does: the cell pointers of
/// one leaf page of `samples` (the `leaf`-th in page order, the second by default, so rows on
/// either side stay readable) overwritten with 0xFF, so every row on it points past the page's
/// end. The pages must be in the file, not in a -wal (a closed store, or a checkpoint first).
/// Returns the page's number, which SQLite's messages name.
@discardableResult
func damageSamplesPage(of path: String, leaf: Int = 1) throws -> Int64 {
    let pages = try SQLiteDatabase(path: path, mode: .readOnly)
        .rows("SELECT pageno FROM dbstat WHERE name = 'samples' AND pagetype = 'leaf' ORDER BY pageno").compactMap { $0[0].integer }
    let page = try #require(pages.dropFirst(leaf).first, "\(pages)")
    let file = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? file.close() }
    try file.seek(toOffset: UInt64((page - 1) * 4096 + 8))
    try file.write(contentsOf: Data(repeating: 0xFF, count: 64))
    return page
}
