import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

/// A pipeline that takes over a window (a SIGHUP's new pipeline, a restart's resumed ticks)
/// labels its ticks as the pipeline before it would have: the SLO rule's `for_ticks` run goes
/// on through the handover instead of starting again at zero.
@Suite struct ResumedLabelTests {
    let schema = TwoFeatureShop.schema

    func pipeline(_ config: SurgeConfig, history: SampleWindow? = nil) throws -> DetectionPipeline<TraceClock> {
        var settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: 10, untrained: true)
        settings.learnOnline = false
        return try DetectionPipeline(settings: settings, schema: schema, model: ModelCatalog.fresh(config), clock: TraceClock(),
                                     history: history)
    }

    func sample(_ tick: Int, broken: Bool) -> Sample {
        Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: [1, 2, broken ? 1 : 0])
    }

    @Test func aRunOfTheRuleGoesOnThroughAHandover() throws {
        var config = TwoFeatureShop.config()
        config.overload.forTicks = 3
        // The rule holds from tick 6 on: labelled overload from tick 8.
        let broken = { (tick: Int) in tick >= 6 }
        let through = try pipeline(config)
        let labels = (1...14).map { through.ingest(sample($0, broken: broken($0))).label }
        #expect(labels == (1...14).map { $0 >= 8 })
        // Handed over after tick 6, 7 and 10: the rule has held 1, 2 and 5 ticks by then.
        for handover in [6, 7, 10] {
            let before = try pipeline(config)
            for tick in 1...handover { _ = before.ingest(sample(tick, broken: broken(tick))) }
            let after = try pipeline(config, history: before.window)
            let resumed = (handover + 1...14).map { after.ingest(sample($0, broken: broken($0))).label }
            #expect(resumed == Array(labels[handover...]), "handed over after tick \(handover)")
        }
    }

    @Test func aMissingTickInTheHistoryBreaksTheRun() throws {
        var config = TwoFeatureShop.config()
        config.overload.forTicks = 3
        let before = try pipeline(config)
        for tick in 1...5 { _ = before.ingest(sample(tick, broken: true)) }
        _ = before.ingest(Sample(timestamp: 60, tick: 6, schema: schema, values: [1, 2, .nan]))
        let after = try pipeline(config, history: before.window)
        let labels = (7...10).map { after.ingest(sample($0, broken: true)).label }
        #expect(labels == [false, false, true, true], "the rule unknown at tick 6: a new run of three from tick 7")
    }
}
