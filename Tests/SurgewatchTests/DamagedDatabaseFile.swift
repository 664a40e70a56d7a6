import Foundation
import Testing
import SurgeStore

/// Damages a surgewatch database as a failing disk or a stray write does: the first 32 cell
/// pointers of one leaf page of `samples` (the `leaf`-th in page order, the second by default,
/// so rows on either side stay readable) overwritten, by default with 0xFF, so those rows point
/// past the page's end. `.intoThePage` points them at byte 16 of the page instead, inside its
/// own pointer array: SQLite, unless told to check cell sizes, reads them there as 32 rows
/// with every column NULL, the same on every run (0xFF is masked to the page's last byte and
/// read into whatever memory follows the page, which differs from run to run).
/// The pages must be in the file, not in a -wal (a closed store, or a checkpoint first).
/// Returns the page's number, which SQLite's messages name.
@discardableResult
func damageSamplesPage(of path: String, leaf: Int = 1, pointers: DamagedPointers = .pastThePage) throws -> Int64 {
    let pages = try SQLiteDatabase(path: path, mode: .readOnly)
        .rows("SELECT pageno FROM dbstat WHERE name = 'samples' AND pagetype = 'leaf' ORDER BY pageno").compactMap { $0[0].integer }
    let page = try #require(pages.dropFirst(leaf).first, "\(pages)")
    let file = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? file.close() }
    try file.seek(toOffset: UInt64((page - 1) * 4096 + 8))
    try file.write(contentsOf: pointers.bytes)
    return page
}

enum DamagedPointers {
    case pastThePage, intoThePage

    var bytes: Data {
        switch self {
        case .pastThePage: Data(repeating: 0xFF, count: 64)
        case .intoThePage: Data([UInt8]((0..<32).flatMap { _ in [0x00, 0x10] }))
        }
    }
}
