import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDetection

/// Which epoch `train` keeps. A validation loss over normal windows alone is lowest for the
/// epoch that predicts overload least, so it must not rank epochs then.
@Suite struct OfflineTrainerTests {
    static var config: SurgeConfig {
        var config = SurgeConfig()
        config.window.ticks = 8
        config.model.features = ["cpu_busy"]
        config.model.horizonTicks = 1
        config.model.hidden = 8
        config.model.layers = 1
        config.overload.any = [OverloadCondition(metric: "cpu_busy", comparison: .greater, threshold: 0.6)]
        config.overload.forTicks = 1
        return config
    }

    /// CPU at 0.2 with a burst to 0.9 every 50 ticks, up to tick `burstsUntil`.
    static func trace(ticks: Int, burstsUntil: Int) -> Trace {
        var trace = Trace(schema: MetricSchema(["cpu_busy"]))
        for tick in 0..<ticks {
            let burst = tick < burstsUntil && tick % 50 >= 40
            trace.append(timestamp: Double(tick) * 10, row: [burst ? 0.9 : 0.2 + 0.01 * Double(tick % 7)])
        }
        return trace
    }

    static func train(_ trace: Trace) -> (OfflineTrainer.Result, [OfflineTrainer.EpochReport]) {
        var options = OfflineTrainer.Options()
        options.epochs = 4
        options.seed = 5
        var reports: [OfflineTrainer.EpochReport] = []
        let result = OfflineTrainer(config: config, options: options).train([trace]) { reports.append($0) }
        return (result, reports)
    }

    @Test func validationWithoutOverloadKeepsTheLastEpoch() {
        // 2,000 ticks: the last 20 % (validation) hold no burst.
        let (result, reports) = Self.train(Self.trace(ticks: 2000, burstsUntil: 1500))
        #expect(reports.count == 4)
        #expect(reports.allSatisfy { $0.validationLoss != nil }, "validation loss is still reported")
        guard case .lastEpoch(4, let reason) = result.choice else {
            Issue.record("kept \(result.choice)")
            return
        }
        #expect(reason.contains("no overload"))
    }

    @Test func validationWithBothClassesKeepsTheLowestLoss() throws {
        let (result, reports) = Self.train(Self.trace(ticks: 2000, burstsUntil: 2000))
        let losses = reports.compactMap(\.validationLoss)
        #expect(losses.count == 4)
        let lowest = try #require(losses.indices.min { losses[$0] < losses[$1] })
        #expect(result.choice == .lowestValidationLoss(epoch: lowest + 1))
    }

    @Test func noValidationKeepsTheLastEpoch() {
        var options = OfflineTrainer.Options()
        options.epochs = 2
        options.validationFraction = 0
        let result = OfflineTrainer(config: Self.config, options: options).train([Self.trace(ticks: 600, burstsUntil: 600)]) { _ in }
        #expect(result.choice == .lastEpoch(epoch: 2, reason: "no validation windows"))
    }
}
