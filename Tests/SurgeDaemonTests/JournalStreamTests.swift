import Glibc
import SurgeJournal
import Testing

/// systemd's JOURNAL_STREAM names the stream (device:inode) it connected a service's stdout
/// and stderr to. `run --log-target auto` logs straight to journald only when stderr is that
/// very stream; anything else (a terminal, a pipe of its own, a file) gets plain lines.
@Suite struct JournalStreamTests {
    @Test func aDescriptorIsTheJournalOnlyWhenItIsTheNamedStream() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        var info = stat()
        #expect(fstat(ends[1], &info) == 0)
        let named = "\(info.st_dev):\(info.st_ino)"
        #expect(isJournalStream(ends[1], journalStream: named))

        let other = open("/dev/null", O_WRONLY)
        defer { close(other) }
        #expect(!isJournalStream(other, journalStream: named), "another file")
        #expect(!isJournalStream(ends[1], journalStream: "\(info.st_dev):\(info.st_ino + 1)"), "another inode")
        #expect(!isJournalStream(ends[1], journalStream: nil), "not under systemd")
        for malformed in ["", "12", "a:b", "1:2:3", "\(info.st_dev)-\(info.st_ino)", ":\(info.st_ino)"] {
            #expect(!isJournalStream(ends[1], journalStream: malformed), "\(malformed)")
        }
        #expect(!isJournalStream(-1, journalStream: named), "a descriptor fstat refuses")
    }
}
