import InMemoryLogging
import Logging
import SurgeSampling
import Testing
@testable import SurgeDaemon

@Suite struct ProblemLogTests {
    let failure = SourceProblem(kind: .failure, location: "/proc/net/snmp", message: "/proc/net/snmp:2: broken")
    let absent = SourceProblem(kind: .absentFeature, location: "/proc/pressure/cpu", message: "no PSI")

    @Test func repeatsAreRateLimitedAndCounted() {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        var log = ProblemLog(quietPeriod: 60)
        for second in 0..<150 {
            log.record([failure], source: "host", atSeconds: Double(second), logger: logger)
        }
        #expect(log.failures["/proc/net/snmp"] == 150)
        let messages = handler.entries.map(\.message.description)
        #expect(messages == [
            "source host failed: /proc/net/snmp:2: broken",
            "source host failed: /proc/net/snmp:2: broken (59 more since last report)",
            "source host failed: /proc/net/snmp:2: broken (59 more since last report)",
        ])
        #expect(handler.entries.allSatisfy { $0.level == .warning })
    }

    @Test func anAbsentFeatureIsNotedOnceAndNotCounted() {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        var log = ProblemLog()
        for second in 0..<10 {
            log.record([absent], source: "host", atSeconds: Double(second), logger: logger)
        }
        #expect(log.totalFailures == 0)
        #expect(handler.entries.map(\.message.description) == ["no PSI"])
        #expect(handler.entries.first?.level == .notice)
    }

    /// A probe that times a redirect: said once, counted nowhere, and no outage to end.
    @Test func aNoticeIsSaidOnceAndIsNoFailure() {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        var log = ProblemLog()
        let redirect = SourceProblem(kind: .notice, location: "http://127.0.0.1/", message: "http://127.0.0.1/: HTTP 301, redirected to ...")
        for tick in 0..<10 {
            log.record([redirect], source: "probe front", atSeconds: Double(tick * 10), logger: logger)
            log.endTick(atSeconds: Double(tick * 10), logger: logger)
        }
        #expect(log.totalFailures == 0)
        #expect(handler.entries.map(\.message.description) == ["http://127.0.0.1/: HTTP 301, redirected to ..."])
        #expect(handler.entries.first?.level == .notice)
    }

    /// A tick is 10 s here: a source fails in ticks 3-5 and 9, the database in tick 4 only.
    @Test func aSourceThatWorksAgainIsSaidOnceWithItsOutage() {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        var log = ProblemLog(quietPeriod: 60)
        let database = SourceProblem(kind: .failure, location: "/var/lib/surgewatch/surgewatch.db", message: "disk full")
        for tick in 1...12 {
            let now = Double(tick) * 10
            if (3...5).contains(tick) || tick == 9 {
                // Two failing places in one tick are one failed tick of the source.
                log.record([failure, SourceProblem(kind: .failure, location: "/proc/net/netstat", message: "broken")],
                           source: "host", atSeconds: now, logger: logger)
            }
            if tick == 4 { log.record([database], source: "database", atSeconds: now, logger: logger) }
            log.endTick(atSeconds: now, logger: logger) { $0 == "database" ? "every tick kept meanwhile is stored" : nil }
        }
        let notices = handler.entries.filter { $0.level == .notice }
        #expect(notices.map(\.message.description) == [
            "source database works again after failing in 1 tick over 10s; every tick kept meanwhile is stored",
            "source host works again after failing in 3 ticks over 30s",
            "source host works again after failing in 1 tick over 10s",
        ])
        #expect(notices.first?.metadata["failed_ticks"] == "1")
        #expect(log.failures["/proc/net/snmp"] == 4, "failures are still counted per place")
    }

    @Test func aSourceAReloadRemovedIsNotSaidToWorkAgain() {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        var log = ProblemLog()
        log.record([failure], source: "probe shop", atSeconds: 0, logger: logger)
        log.endTick(atSeconds: 0, logger: logger)
        log.forget(sourcesOtherThan: ["host", "database"])
        log.endTick(atSeconds: 10, logger: logger)
        #expect(handler.entries.filter { $0.level == .notice }.isEmpty)
    }

    @Test func outageSpansAreWrittenToATenthOfASecond() {
        #expect(ProblemLog.span(130.004) == "2m10s")
        #expect(ProblemLog.span(1.3) == "1s300ms")
        #expect(ProblemLog.span(-1) == "0s")
    }
}
