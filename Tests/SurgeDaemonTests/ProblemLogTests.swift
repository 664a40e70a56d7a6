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
}
