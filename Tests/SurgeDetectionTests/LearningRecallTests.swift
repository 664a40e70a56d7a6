#if canImport(Glibc)
import Glibc
#endif
import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

/// A start gives online learning back the windows of the stored ticks: the same windows, with
/// the same targets, thinned and held out the same way, as the live ticks gave the last run.
@Suite struct LearningRecallTests {
    let schema = TwoFeatureShop.schema

    func config() -> SurgeConfig { TwoFeatureShop.config() }

    func pipeline(_ config: SurgeConfig) throws -> DetectionPipeline<TraceClock> {
        try DetectionPipeline(settings: .init(config: config, tickSeconds: 10, untrained: true), schema: schema,
                              model: ModelCatalog.fresh(config), clock: TraceClock())
    }

    /// Values that do not round-trip through Float, a missing stretch longer than the
    /// carry-forward (its windows are not learned from), and an overload every 40 ticks.
    func row(_ tick: Int) -> [Double] {
        let a = 50.123456789 + 40 * sin(Double(tick) / 9)
        let b = (200..<206).contains(tick) ? Double.nan : 30 + 20 * cos(Double(tick) / 5)
        return [a, b, tick % 40 > 35 ? 1 : 0]
    }

    @Test func theRecalledBufferIsTheOneTheLiveTicksFilled() throws {
        let live = try pipeline(config())
        for tick in 0..<3_000 {
            _ = live.ingest(Sample(timestamp: 1_000 + Double(tick) * 10, tick: tick + 1, schema: schema, values: row(tick)))
        }
        let started = try pipeline(config())
        var recall = try #require(LearningRecall(pipeline: started, intervalSeconds: 10))
        for tick in 0..<3_000 { recall.recall(time: 1_000 + Double(tick) * 10, values: row(tick)) }

        let liveBuffer = try #require(live.learner?.replay), recalled = try #require(started.learner?.replay)
        #expect(liveBuffer.added[1] > 100 && liveBuffer.added[0] > 100)
        // Compared first, so that a failure does not print two rings of 2,048 windows.
        let same = recalled == liveBuffer
        #expect(same, "window for window (added \(recalled.added) against \(liveBuffer.added))")
        #expect(recall.runs == 1 && recall.ticks == 3_000)
        #expect(recall.labelled[1] > 0 && recall.labelled[0] > recall.labelled[1])
        #expect(started.learner?.steps == 0, "recalling learns nothing: the steps come with the live ticks")
        #expect(started.learner?.model.parameters == ModelCatalog.fresh(config()).parameters)
    }

    /// A reload (the window goes on) after 3,000 ticks, then 200 more: the memory is the one the
    /// live ticks fill, including the windows that were waiting for their targets at the
    /// handover, and the labels with a 3-tick `for_ticks` run through it are the same.
    @Test func theLiveTicksGoOnFromTheRecalledOnes() throws {
        var config = config()
        config.overload.forTicks = 3
        let live = try pipeline(config)
        func sample(_ tick: Int) -> Sample { Sample(timestamp: 1_000 + Double(tick) * 10, tick: tick + 1, schema: schema, values: row(tick)) }
        // The handover falls on the second tick of an overload (ticks 36-39 of each 40).
        let handover = 2_997
        for tick in 0..<handover { _ = live.ingest(sample(tick)) }
        let reloaded = try DetectionPipeline(settings: .init(config: config, tickSeconds: 10, untrained: true), schema: schema,
                                             model: ModelCatalog.fresh(config), clock: TraceClock(), history: live.window)
        var recall = try #require(LearningRecall(pipeline: reloaded, intervalSeconds: 10))
        for tick in 0..<handover { recall.recall(time: sample(tick).timestamp, values: row(tick)) }
        recall.handOver(to: reloaded)
        var labels: [Bool?] = [], liveLabels: [Bool?] = []
        for tick in handover..<(handover + 200) {
            liveLabels.append(live.ingest(sample(tick)).label)
            labels.append(reloaded.ingest(sample(tick)).label)
        }
        #expect(labels == liveLabels)
        let liveBuffer = try #require(live.learner?.replay), recalled = try #require(reloaded.learner?.replay)
        let same = recalled == liveBuffer
        #expect(same, "window for window (added \(recalled.added) against \(liveBuffer.added))")
    }

    /// A start that resumed the window with missing rows for the ticks it skipped: those rows
    /// are recalled too, so the labeller and the window stay in step.
    @Test func theSkippedTicksOfAResumedWindowAreRecalledMissing() throws {
        let config = config()
        let live = try pipeline(config)
        for tick in 0..<100 { _ = live.ingest(Sample(timestamp: Double(tick) * 10, tick: tick + 1, schema: schema, values: row(tick))) }
        var window = live.window
        for tick in 100..<102 { window.append(Sample(timestamp: Double(tick) * 10, tick: 0, schema: schema, values: [.nan, .nan, .nan])) }
        let started = try DetectionPipeline(settings: .init(config: config, tickSeconds: 10, untrained: true), schema: schema,
                                            model: ModelCatalog.fresh(config), clock: TraceClock(), history: window)
        var recall = try #require(LearningRecall(pipeline: started, intervalSeconds: 10))
        for tick in 0..<100 { recall.recall(time: Double(tick) * 10, values: row(tick)) }
        recall.handOver(to: started)
        #expect(recall.ticks == 102 && recall.runs == 1)
        // Not handed over: a window of other ticks.
        var other = try #require(LearningRecall(pipeline: started, intervalSeconds: 10))
        for tick in 0..<50 { other.recall(time: 5 + Double(tick) * 10, values: row(tick)) }
        other.handOver(to: started)
        #expect(other.ticks == 50)
    }

    @Test func aStopBetweenStoredTicksBeginsANewRun() throws {
        let started = try pipeline(config())
        var recall = try #require(LearningRecall(pipeline: started, intervalSeconds: 10))
        // 20 ticks, a stop of 100 s, 5 ticks: the second run never fills an 8-tick window.
        for tick in 0..<20 { recall.recall(time: Double(tick) * 10, values: [1, 2, 0]) }
        let before = recall.labelled
        #expect(before == [20 - 8 + 1 - 2, 0], "full windows from the 8th tick, less the last 2 still waiting")
        for tick in 0..<5 { recall.recall(time: 300 + Double(tick) * 10, values: [1, 2, 0]) }
        #expect(recall.runs == 2)
        #expect(recall.labelled == before, "a window spanning the stop is not made, and the waiting ones are dropped")
        // A clock set back also begins a run.
        for tick in 0..<12 { recall.recall(time: 100 + Double(tick) * 10, values: [1, 2, 0]) }
        #expect(recall.runs == 3)
        #expect(recall.labelled == [before[0] + 12 - 8 + 1 - 2, 0])
        // Ticks at half the interval (the config's went from 10 s to 20 s) are no run.
        var slower = try #require(LearningRecall(pipeline: started, intervalSeconds: 20))
        for tick in 0..<20 { slower.recall(time: Double(tick) * 10, values: [1, 2, 0]) }
        #expect(slower.runs == 20 && slower.labelled == [0, 0])
    }

    @Test func theRuleInForceLabelsThePast() throws {
        var stricter = config()
        stricter.overload.any = [try! OverloadCondition.parse("y > 5").get()]
        let started = try pipeline(stricter)
        var recall = try #require(LearningRecall(pipeline: started, intervalSeconds: 10))
        for tick in 0..<500 { recall.recall(time: Double(tick) * 10, values: row(tick)) }
        #expect(recall.labelled[1] == 0 && recall.labelled[0] > 400)
    }

    @Test func noLearnerNoRecall() throws {
        var off = config()
        off.learning.online = false
        #expect(LearningRecall(pipeline: try pipeline(off), intervalSeconds: 10) == nil)
    }
}
