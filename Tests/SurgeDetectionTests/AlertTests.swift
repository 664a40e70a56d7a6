import Testing
@testable import SurgeDetection

@Suite struct AlertTests {
    func event(_ kind: AlertEvent.Event, _ alertKind: AlertEvent.Kind, features: [AlertEvent.FeatureChange] = []) -> AlertEvent {
        AlertEvent(alertID: "a", event: kind, kind: alertKind, at: 1250, probability: 0.912, peakProbability: 0.97,
                   horizonSeconds: 30, topFeatures: features, firedAt: kind == .resolved ? 1000 : nil)
    }

    @Test func messagesReadLikeAnOperatorsSentence() {
        let features: [AlertEvent.FeatureChange] = [
            .init(name: "tcp_listen_overflows_per_s", baseline: 0, recent: 412.4),
            .init(name: "psi_cpu_some_avg10", baseline: 8.2, recent: 61),
            .init(name: "cpu_busy", baseline: 0.35, recent: 0.987),
            .init(name: "http_p99_ms", baseline: 180, recent: nil),
        ]
        #expect(AlertMessage.text(for: event(.fired, .predicted, features: features)) ==
            "overload predicted within 30s (p=0.91): tcp_listen_overflows_per_s 0 -> 412/s, psi_cpu_some_avg10 8.20% -> 61%, cpu_busy 35% -> 98.7%, http_p99_ms 180ms -> ?")
        #expect(AlertMessage.text(for: event(.fired, .breached)) == "overload: SLO breached (p=0.91)")
        var escalation = event(.fired, .breached)
        escalation.escalatedFrom = .predicted
        #expect(AlertMessage.text(for: escalation) == "predicted overload arrived: SLO breached (p=0.91)")
        #expect(AlertMessage.text(for: event(.resolved, .breached)) == "overload alert resolved after 4m10s (breached, peak p=0.97)")
        var quoted = event(.fired, .predicted)
        quoted.pastOutcome = AlertEvent.PastOutcome(from: 0.8, to: 0.95, ticks: 248, cameTrue: 103)
        #expect(AlertMessage.text(for: quoted) == "overload predicted within 30s (p=0.91; here p 0.80-0.95 came true 42 % of 248 times)")
        var beforeSale = event(.fired, .predicted)
        beforeSale.saleStart = 1_260
        beforeSale.saleLevel = "cpu_busy >= 0.3"
        #expect(AlertMessage.text(for: beforeSale)
            == "overload predicted within 30s (p=0.91; sale at 1970-01-01T00:21:00Z, host past cpu_busy >= 0.3)")
        var test = event(.fired, .predicted)
        test.isTest = true
        #expect(AlertMessage.text(for: test).hasPrefix("TEST (no overload): overload predicted"))
    }

    @Test func numbersAndDurations() {
        #expect(AlertMessage.fixed(0.9149, 2) == "0.91")
        #expect(AlertMessage.fixed(-1.005, 1) == "-1.0")
        #expect(AlertMessage.fixed(2, 0) == "2")
        #expect(AlertMessage.duration(0) == "0s")
        #expect(AlertMessage.duration(90061) == "1d1h1m1s")
        #expect(AlertMessage.duration(149.6) == "2m30s", "to the second")
        #expect(AlertMessage.duration(-5) == "0s", "a clock set back")
        #expect(AlertMessage.duration(7200) == "2h")
    }

    struct BrokenSink: AlertSink {
        let name = "broken"
        struct DiskFull: Error, CustomStringConvertible { var description: String { "disk full" } }
        func deliver(_ event: AlertEvent) throws { throw DiskFull() }
    }

    @Test func oneFailingSinkDoesNotKeepTheEventFromTheOthers() {
        let first = InMemoryAlertSink(), last = InMemoryAlertSink()
        let fanOut = AlertFanOut([first, BrokenSink(), last])
        let failures = fanOut.deliver(event(.fired, .predicted))
        fanOut.deliver(event(.resolved, .predicted))
        #expect(first.events.count == 2 && last.events.count == 2)
        #expect(failures.map(\.description) == ["alert a not delivered to broken: disk full"])
        #expect(fanOut.failures == ["broken": 2])
    }

    /// An application's gauge can be any double: past Int64 the conversion trapped, and the
    /// daemon would have died on the alert that named it.
    @Test func valuesPastInt64AreWrittenNotTrapped() {
        let huge: [AlertEvent.FeatureChange] = [.init(name: "queue_bytes", baseline: 3, recent: 2.5e19),
                                                .init(name: "cpu_busy", baseline: -1e300, recent: 1e17)]
        #expect(AlertMessage.changes(huge) == ": queue_bytes 3 -> 2.5e+19, cpu_busy -1e+302% -> 1e+19%")
        #expect(AlertMessage.fixed(1e300, 2) == "1e+300")
        #expect(AlertMessage.fixed(.nan, 4) == "nan")
        #expect(AlertMessage.fixed(9.5e13, 4) == "95000000000000.0000" && AlertMessage.fixed(9.5e14, 4) == "950000000000000")
        #expect(AlertMessage.duration(1e300) == "1e+300s")
    }

    @Test func idsAreFreshHex128() {
        let ids = (0..<100).map { _ in AlertEvent.newID() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
    }

    @Test func jsonEscaping() {
        #expect(JSONText.string("a\"b\\c\nd\u{01}") == #""a\"b\\c\nd\u0001""#)
        #expect(JSONText.number(.nan) == "null")
        #expect(JSONText.number(412) == "412")
        #expect(JSONText.features([.init(name: "x", baseline: nil, recent: 1.5)]) == #"[{"name":"x","baseline":null,"recent":1.5}]"#)
    }
}
