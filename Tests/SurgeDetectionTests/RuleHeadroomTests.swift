import Testing
import SurgeConfig
@testable import SurgeDetection

/// `alerts --record`'s lines on how the SLO rule's metrics ran against their limits.
@Suite struct RuleHeadroomTests {
    func overload(_ any: [String], all: [String] = []) -> SurgeConfig.Overload {
        SurgeConfig.Overload(any: any.map { try! OverloadCondition.parse($0).get() }, all: all.map { try! OverloadCondition.parse($0).get() })
    }

    /// A condition that breaks downward reads its low tail: the lowest value, the 1st and 10th
    /// percentiles; missing values are left out of every figure.
    @Test func aLowerLimitReadsTheLowTail() {
        let idle = (1...100).map { Double($0) / 100 } + [.nan, .nan]
        let headroom = RuleHeadroom(overload(["cpu_idle_ratio < 0.05"]), values: ["cpu_idle_ratio": idle])
        #expect(headroom.conditions.first?.known == 100 && headroom.conditions.first?.past == 4)
        #expect(headroom.lines == ["cpu_idle_ratio < 5%: lowest 1%, p1 1%, p10 10%; past the limit on 4 of 100 ticks"])
    }

    /// Each condition of `any` then `all`, one metric read by two; a metric never stored is said.
    @Test func everyConditionHasItsLine() {
        let p99 = [400.0, 900, 1200, 800]
        let headroom = RuleHeadroom(overload(["http_p99_ms > 1000", "http_error_ratio > 0.01"], all: ["http_p99_ms >= 500"]),
                                    values: ["http_p99_ms": p99])
        #expect(headroom.lines == [
            "http_p99_ms > 1000ms: highest 1200ms, p99 1200ms, p90 1200ms; past the limit on 1 of 4 ticks",
            "http_error_ratio > 1%: never known",
            "http_p99_ms >= 500ms: highest 1200ms, p99 1200ms, p90 1200ms; past the limit on 3 of 4 ticks",
        ])
        #expect(!headroom.isEmpty)
        #expect(RuleHeadroom(overload(["x > 1"]), values: [:]).isEmpty)
        #expect(headroom.json.contains("{\"condition\":\"http_error_ratio > 0.01\",\"known_ticks\":0,\"past_ticks\":0,\"extreme\":null,\"p99\":null,\"p90\":null}"))
    }
}
