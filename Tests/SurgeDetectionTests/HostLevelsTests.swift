#if canImport(Glibc)
import Glibc
#endif
import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

/// Counts read against the host's own level (`HostLevels`, `Transform.log1pRelative`): the
/// same inputs on a host of any size, the level carried over gaps and into a model file.
@Suite struct HostLevelsTests {
    let scaler = FeatureScaler([
        .init(name: "tcp_established", transform: .log1pRelative, mean: 0.1, standardDeviation: 0.5),
        .init(name: "cpu_busy", transform: .identity, mean: 0.4, standardDeviation: 0.2),
    ])

    /// A day-long wave of connections with a surge, `size` times over.
    func connections(_ tick: Int, size: Double) -> Double {
        let day = Double(tick % 8_640) / 8_640
        let surge = (20_000..<20_090).contains(tick) ? 4.0 : 1.0
        return size * surge * (400 + 300 * sin(2 * Double.pi * day))
    }

    @Test func theFirstValueReadsItsOwnLevelAndTheFirstDayIsAPlainMean() {
        var levels = HostLevels(scaler)
        #expect(levels.centre(0, for: 99) == log1p(99.0), "nothing seen: the value is its own level")
        #expect(levels.centre(1, for: 0.7) == 0, "a bounded feature has none")
        levels.observe([99, 0.7])
        levels.observe([.nan, 0.2])
        #expect(levels.centre(0, for: 5) == log1p(99.0), "a missing value leaves the level")
        levels.observe([399, 0.2])
        #expect(abs(levels.centre(0, for: 5) - (log1p(99.0) + log1p(399.0)) / 2) < 1e-12, "the mean of the values seen")
        // The plain mean goes on while it weighs a value more than a day's half-life would
        // (12,465 ticks), then the exponential mean follows a new level: 4 days after the host
        // grew a hundredfold, 6 % of the step is left (one sixteenth of it, 6.25 %, by then
        // in a mean that had always been exponential).
        var grown = HostLevels(scaler)
        for _ in 0..<HostLevels.halfLifeTicks { grown.observe([100, 0.5]) }
        for _ in 0..<100 { grown.observe([10_000, 0.5]) }
        let mean = (Double(HostLevels.halfLifeTicks) * log1p(100.0) + 100 * log1p(10_000.0)) / Double(HostLevels.halfLifeTicks + 100)
        #expect(abs(grown.centre(0, for: 0) - mean) < 1e-9, "still the plain mean: \(grown.centre(0, for: 0)) against \(mean)")
        for _ in 0..<(4 * HostLevels.halfLifeTicks - 100) { grown.observe([10_000, 0.5]) }
        let left = (log1p(10_000.0) - grown.centre(0, for: 0)) / (log1p(10_000.0) - log1p(100.0))
        #expect(left > 0.04 && left < 0.08, "share of the step left after 4 days: \(left)")
    }

    /// The claim: the model's inputs of a host four times the size are those of the nominal one
    /// (up to log1p's +1, small at these counts), where the absolute scaling moves them all.
    @Test func aHostFourTimesTheSizeGivesTheSameInputs() {
        var nominal = ModelInputWindow(featureCount: 2, capacity: 30), larger = ModelInputWindow(featureCount: 2, capacity: 30)
        let absolute = FeatureScaler([
            .init(name: "tcp_established", transform: .log1p, mean: 6, standardDeviation: 0.5),
            .init(name: "cpu_busy", transform: .identity, mean: 0.4, standardDeviation: 0.2),
        ])
        var largestGap: Float = 0, absoluteGap: Float = 0
        for tick in 0..<25_000 {
            nominal.push(raw: [connections(tick, size: 1), 0.5], scaler: scaler)
            larger.push(raw: [connections(tick, size: 4), 0.5], scaler: scaler)
            let rowA = Array(nominal.ordered.suffix(2)), rowB = Array(larger.ordered.suffix(2))
            largestGap = max(largestGap, abs(rowA[0] - rowB[0]))
            #expect(rowA[1] == rowB[1])
            absoluteGap = max(absoluteGap, abs(absolute.scale(connections(tick, size: 1), feature: 0) - absolute.scale(connections(tick, size: 4), feature: 0)))
        }
        #expect(largestGap < 0.05, "relative inputs, nominal against four times the size (log1p's +1 at 100 connections): \(largestGap)")
        #expect(absoluteGap > 2.5, "absolute inputs move by log 4 / 0.5: \(absoluteGap)")
        #expect(nominal.levels != nil && nominal.levels!.fits(scaler))
    }

    /// `fit` standardises a relative feature on its values against the level, as a trace's
    /// ticks read them, and the model file keeps the transform (code 2).
    @Test func aFittedRelativeFeatureIsKeptInTheModelFile() throws {
        let values = (0..<20_000).map { connections($0, size: 3) }
        let relative = FeatureScaler.relativeLogs(values)
        #expect(relative[0] == 0, "the first value against itself")
        var levels = HostLevels(scaler)
        for (index, value) in values.enumerated() {
            #expect(abs(relative[index] - (log1p(value) - levels.centre(0, for: value))) < 1e-12)
            levels.observe([value, 0.5])
        }
        let fitted = FeatureScaler.fit(names: ["tcp_established", "cpu_busy"], columns: [relative, values.map { _ in 0.5 }],
                                       relative: ["tcp_established"])
        #expect(fitted.features[0].transform == .log1pRelative && fitted.features[1].transform == .identity)
        #expect(abs(fitted.features[0].mean) < 0.2, "values against their own level centre near 0: \(fitted.features[0].mean)")
        var config = SurgeConfig()
        config.model.features = ["tcp_established", "cpu_busy"]
        var model = ModelCatalog.fresh(config)
        model.features = fitted.features
        let decoded = try ModelFile.decode(model.encoded())
        #expect(decoded.features == fitted.features)
        #expect(FeatureScaler(decoded.features).readsLevels && !FeatureScaler(ModelCatalog.fresh(config).features).readsLevels)
    }

    /// An alert's features that moved are scored against the host's level too: thousands of
    /// connections, far above the training traces' scale, still show their surge.
    @Test func theFeaturesThatMovedAreScoredAgainstTheLevel() throws {
        var config = SurgeConfig()
        config.model.features = ["tcp_established", "cpu_busy"]
        config.model.hidden = 4
        config.model.layers = 1
        config.window.ticks = 8
        config.learning.online = false
        var model = ModelCatalog.fresh(config)
        model.features = scaler.features
        let schema = MetricSchema(["tcp_established", "cpu_busy", "tcp_listen_overflows_per_s", "psi_cpu_some_avg10"])
        let settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: 10, untrained: false)
        let pipeline = try DetectionPipeline(settings: settings, schema: schema, model: model, clock: TraceClock())
        for tick in 0..<100 {
            // 40,000 connections, doubling in the last ticks; the CPU creeps up a little.
            let connections = tick < 96 ? 40_000.0 : 80_000
            _ = pipeline.ingest(Sample(timestamp: 1_700_000_000 + Double(tick) * 10, tick: tick, schema: schema,
                                       values: [connections, 0.4 + Double(tick) / 2_000, 0, 0]))
        }
        #expect(pipeline.topFeatures(limit: 1).first?.name == "tcp_established", "\(pipeline.topFeatures())")
    }

    /// Levels kept for another model's features are not taken on.
    @Test func levelsFitOnlyTheScalerTheyWereKeptFor() {
        let levels = HostLevels(scaler)
        #expect(levels.fits(scaler))
        #expect(!levels.fits(FeatureScaler([scaler.features[1], scaler.features[0]])))
        #expect(!levels.fits(FeatureScaler([scaler.features[0]])))
    }
}
