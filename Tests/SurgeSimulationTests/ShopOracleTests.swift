import Testing
import SurgeConfig
import SurgeDetection
import SurgeSampling
@testable import SurgeSimulation

/// The oracle behind `surgewatch-bench oracle`: true breach probabilities from the simulated
/// shop's hidden state.
@Suite struct ShopOracleTests {
    /// 60 ticks at 40 % of capacity, then three times the capacity: the listen queue overflows
    /// from tick 60 on.
    static let series = DemandSeries(start: 0, tickSeconds: 10,
                                     demand: [Double](repeating: 800, count: 60) + [Double](repeating: 6000, count: 20),
                                     capacity: [Double](repeating: 1, count: 80))

    @Test func knownDemandSeesTheSurgeExactlyAHorizonAheadAndHeldDemandDoesNot() {
        let overload = SurgeConfig().overload
        let known = ShopOracle(continuations: 20, horizon: 3, forecast: .known).run(series: Self.series, seed: 4, overload: overload)
        let held = ShopOracle(continuations: 20, horizon: 3, forecast: .hold).run(series: Self.series, seed: 4, overload: overload)
        #expect(known.labels[59] == false && known.labels[60] == true)
        #expect(known.probabilities[56] == 0, "ticks 57-59 are calm")
        #expect(known.probabilities[57] == 1, "tick 60 is within the horizon")
        #expect(held.probabilities[57] == 0, "held at 800 requests/s, nothing happens")
        #expect(known.probabilities[65] == 1 && held.probabilities[65] == 1, "deep in overload")
        #expect(known.probabilities[77] == nil, "the horizon runs past the trace")
    }

    @Test func labelsAreThoseOfTheSimulatedTraceAndRunsRepeat() {
        let overload = SurgeConfig().overload
        let series = DemandSeries.flashSales(days: 3, seed: 9)
        let oracle = ShopOracle(continuations: 5, horizon: 3, forecast: .known)
        let first = oracle.run(series: series, seed: 9, overload: overload)
        let trace = series.simulate(seed: 9)
        var rule = OverloadRule(overload, schema: trace.schema)
        let labels = (0..<trace.count).map { rule.label(trace.sample($0)) }
        let same = first.labels == labels, overloaded = labels.contains(true)
        #expect(same, "the oracle steps the same shop as `simulate`")
        #expect(overloaded, "the three days hold an overload")
        let second = oracle.run(series: series, seed: 9, overload: overload)
        let repeated = first.probabilities == second.probabilities
        #expect(repeated)
        let spread = Set(first.probabilities.compactMap { $0 })
        #expect(spread.contains(0) && spread.contains(1) && spread.count > 2, "not only 0 and 1: \(spread.sorted())")
    }
}
