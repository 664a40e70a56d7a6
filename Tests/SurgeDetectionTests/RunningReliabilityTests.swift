import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

/// The daemon's tick-by-tick table of how p came true (RunningReliability) counts what
/// `Reliability.add` counts over the same runs, and a predicted alert quotes its band.
@Suite struct RunningReliabilityTests {
    /// p in every band, some missing; labels with runs of overload and some unknown.
    static func series(_ count: Int, seed: UInt64) -> (p: [Double?], labels: [Bool?]) {
        var generator = SeededGenerator(seed: seed)
        var p: [Double?] = [], labels: [Bool?] = []
        var overloadLeft = 0
        for _ in 0..<count {
            let u = Double(generator.nextUnitFloat())
            p.append(u < 0.05 ? nil : Double(generator.nextUnitFloat()))
            if overloadLeft == 0 && u > 0.93 { overloadLeft = 1 + Int(u * 100) % 4 }
            labels.append(u > 0.02 && u < 0.04 ? nil : overloadLeft > 0)
            overloadLeft = max(0, overloadLeft - 1)
        }
        return (p, labels)
    }

    @Test(arguments: [0, 1, 3])
    func countsWhatTheWholeSeriesCounts(horizon: Int) {
        let runs = [Self.series(2_000, seed: 1), Self.series(700, seed: 2)]
        var running = RunningReliability(horizon: horizon)
        var batch = Reliability()
        for run in runs {
            running.breakRun()
            for (p, label) in zip(run.p, run.labels) { running.add(probability: p, label: label) }
            batch.add(probabilities: run.p, labels: run.labels, horizon: horizon)
        }
        #expect(running.table == batch)
        #expect(batch.ticks.reduce(0, +) > 1_500 && batch.cameTrue.reduce(0, +) > 50, "the series exercises the table: \(batch)")
    }

    /// One band a line, its count in the units' own number, the columns aligned.
    @Test func theTableReadsOneTickAsOne() {
        var table = Reliability()
        table.count(0.05, cameTrue: false)
        table.count(0.97, cameTrue: true)
        table.count(0.98, cameTrue: false)
        table.count(0.6, cameTrue: true)
        let lines = table.lines(horizon: "30s")
        #expect(lines.contains("  p 0.00-0.10           1 tick      0.0 %"), "\(lines)")
        #expect(lines.contains("  p 0.50-0.80           1 tick    100.0 %"), "\(lines)")
        #expect(lines.contains("  p 0.95-1.00           2 ticks    50.0 %"), "\(lines)")
        #expect(lines.contains("  p 0.10-0.50           0 ticks         -"), "\(lines)")
    }

    @Test func aBreakKeepsTargetsFromReachingAcross() {
        var running = RunningReliability(horizon: 2)
        running.add(probability: 0.99, label: false)
        running.breakRun()  // the daemon restarted: the overload below is not this tick's target
        for _ in 0..<3 { running.add(probability: nil, label: true) }
        #expect(running.table.ticks.reduce(0, +) == 0)
    }

    @Test func quotesABandOnlyOnceItHasEnoughTicks() {
        var running = RunningReliability(horizon: 0)
        for index in 0..<(RunningReliability.minimumTicks - 1) { running.add(probability: 0.97, label: index % 4 == 0) }
        #expect(running.outcome(of: 0.96) == nil)
        running.add(probability: 0.99, label: true)
        let outcome = running.outcome(of: 0.96)
        #expect(outcome == AlertEvent.PastOutcome(from: 0.95, to: 1, ticks: 20, cameTrue: 6))
        #expect(running.outcome(of: 0.5) == nil, "another band has no ticks")
    }

    /// A pipeline seeded with a history in which every band of p came true 10 times of 40: its
    /// predicted alerts quote their band; its breached and resolved events quote nothing. A
    /// pipeline without history quotes nothing before a band has 20 ticks of its own.
    @Test func aPredictedAlertQuotesHowItsBandCameTrue() throws {
        var config = PipelineLearningTests().config()  // a small model over x, rule y > 0.5
        config.model.horizonTicks = 1
        config.learning.online = false
        config.alert.fireProbability = 0.2
        config.alert.fireAtOnceProbability = 1
        config.alert.resolveProbability = 0.1
        var history = Reliability()
        for band in 0..<(Reliability.edges.count - 1) {
            for index in 0..<40 { history.count((Reliability.edges[band] + Reliability.edges[band + 1]) / 2, cameTrue: index % 4 == 0) }
        }
        func events(past: Reliability) throws -> [AlertEvent] {
            let clock = TraceClock(unixSeconds: 0)
            let schema = MetricSchema(["x", "y"])
            let pipeline = try DetectionPipeline(settings: .init(config: config, tickSeconds: 10, untrained: false), schema: schema,
                                                 model: ModelCatalog.fresh(config), clock: clock,
                                                 reliability: RunningReliability(horizon: config.model.horizonTicks, table: past))
            var events: [AlertEvent] = []
            for tick in 0..<40 {
                clock.set(unixSeconds: Double(tick) * 10)
                events += pipeline.ingest(Sample(timestamp: Double(tick) * 10, tick: tick + 1, schema: schema,
                                                 values: [Double(tick % 7), tick % 13 == 12 ? 1 : 0])).events
            }
            #expect(pipeline.reliability.table.ticks.reduce(0, +) > past.ticks.reduce(0, +), "the pipeline's own ticks count too")
            return events
        }
        let seeded = try events(past: history)
        let predicted = seeded.filter { $0.event == .fired && $0.kind == .predicted }
        try #require(!predicted.isEmpty, "the fresh model's p fires predicted alerts")
        for event in predicted {
            let band = Reliability.band(of: try #require(event.probability))
            let past = try #require(event.pastOutcome)
            #expect(past.from == Reliability.edges[band] && past.to == Reliability.edges[band + 1])
            #expect(past.ticks >= 40 && past.cameTrue >= 10)
        }
        #expect(seeded.filter { $0.kind == .breached || $0.event == .resolved }.allSatisfy { $0.pastOutcome == nil })
        #expect(seeded.contains { $0.kind == .breached }, "the comparison covers breached alerts")

        let fresh = try events(past: Reliability()).filter { $0.event == .fired && $0.kind == .predicted }
        #expect(fresh.first?.pastOutcome == nil, "fewer than 20 ticks of its own in the band when the first alert fires")
    }
}
