import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

@Suite struct ScalingAndMissingTests {
    @Test func boundedFiguresStayLinearAndRatesAreLogScaled() {
        #expect(FeatureScaler.transform(for: "cpu_busy") == .identity)
        #expect(FeatureScaler.transform(for: "http_error_ratio") == .identity)
        #expect(FeatureScaler.transform(for: "psi_cpu_some_avg10") == .identity)
        #expect(FeatureScaler.transform(for: "probe_up") == .identity)
        #expect(FeatureScaler.transform(for: "tcp_established") == .log1p)
        #expect(FeatureScaler.transform(for: "net_rx_bytes_per_s") == .log1p)
        #expect(FeatureScaler.transform(for: "load1") == .log1p)
        // A cgroup's PSI is a percent like the host's, under a source's name or not.
        #expect(FeatureScaler.transform(for: "cgroup_psi_cpu_some_avg10") == .identity)
        #expect(FeatureScaler.transform(for: "shop_cgroup_psi_mem_some_avg10") == .identity)
        #expect(FeatureScaler.transform(for: "shop_cgroup_cpu_usage_cores") == .log1p)
        #expect(FeatureScaler.transform(for: "http_p99_ms") == .log1p)
    }

    /// Models fitted before a cgroup's PSI was read as a percent took its log1p; their files say
    /// so, and they keep scaling it that way.
    @Test func aModelFileKeepsTheTransformItWasFittedWith() throws {
        var config = SurgeConfig()
        config.model.features = ["cgroup_psi_cpu_some_avg10", "cpu_busy"]
        var model = ModelCatalog.fresh(config)
        #expect(model.features.map(\.transform) == [.identity, .identity])
        #expect(model.features[0].standardDeviation == 15, "a new model's prior for a percent, as for the host's PSI")
        model.features[0] = .init(name: "cgroup_psi_cpu_some_avg10", transform: .log1p, mean: 1, standardDeviation: 2)
        let scaler = FeatureScaler(try ModelFile.decode(model.encoded()).features)
        // log1p(20) = 3.0445224, standardised with the stored mean 1 and deviation 2.
        #expect(abs(scaler.scale(20, feature: 0) - Float((3.0445224 - 1) / 2)) < 1e-5)
    }

    @Test func fitStandardisesIgnoringMissingValues() {
        let scaler = FeatureScaler.fit(names: ["cpu_busy", "tcp_established", "flat"],
                                       columns: [[0.2, 0.4, .nan, 0.6], [0, 9, 99], [5, 5, 5]])
        let cpu = scaler.features[0]
        #expect(abs(cpu.mean - 0.4) < 1e-6)
        #expect(abs(cpu.standardDeviation - 0.163299) < 1e-5)
        #expect(abs(scaler.scale(0.6, feature: 0) - 1.224745) < 1e-4)
        let tcp = scaler.features[1]
        #expect(tcp.transform == .log1p)
        #expect(abs(tcp.mean - Float((0 + 2.302585 + 4.605170) / 3)) < 1e-5)
        #expect(scaler.features[2].standardDeviation == 1, "a constant feature does not divide by zero")
        #expect(scaler.scale(1e12, feature: 0) == FeatureScaler.clip, "absurd readings are clipped")
        #expect(abs(scaler.unscale(scaler.scale(50, feature: 1), feature: 1) - 50) < 1e-3)
    }

    @Test func carriesGapsForwardThenImputesAndMarksTheWindow() {
        let scaler = FeatureScaler([.init(name: "a", transform: .identity, mean: 0, standardDeviation: 1),
                                    .init(name: "b", transform: .identity, mean: 0, standardDeviation: 1)])
        var window = ModelInputWindow(featureCount: 2, capacity: 4, carryTicks: 2)
        #expect(window.push(raw: [1, .nan], scaler: scaler) == .imputed(features: 1), "never seen: imputed")
        #expect(window.push(raw: [2, 7], scaler: scaler) == .complete)
        #expect(window.push(raw: [.nan, 6], scaler: scaler) == .carried(features: 1))
        #expect(window.push(raw: [.nan, 5], scaler: scaler) == .carried(features: 1))
        #expect(window.ordered == [1, 0, 2, 7, 2, 6, 2, 5], "carried values repeat the last one seen")
        #expect(window.imputedRows == 1)
        #expect(window.push(raw: [.nan, 4], scaler: scaler) == .imputed(features: 1), "the third tick of a gap is imputed")
        #expect(window.ordered == [2, 7, 2, 6, 2, 5, 0, 4])
        #expect(window.imputedRows == 1, "the first imputed row slid out, the new one came in")
        for value in 1...4 { window.push(raw: [3, Double(value)], scaler: scaler) }
        #expect(window.imputedRows == 0, "a window clean again can be learned from")
    }

    /// Features x and z, the rule on y (which never holds); all three go missing for ticks
    /// 11-20. The first 3 ticks of the gap are carried forward and predicted on; from the 4th,
    /// every feature is the training mean and a p would call a host nobody sees "normal", so
    /// there is none.
    func pipelineRun(fireAt fire: Double, missing: Set<Int> = [0, 1, 2]) throws -> [DetectionPipeline<TraceClock>.TickResult] {
        var config = SurgeConfig()
        config.model.features = ["x", "z"]
        config.model.hidden = 4
        config.model.layers = 1
        config.window.ticks = 5
        config.overload.any = [try OverloadCondition.parse("y > 0.5").get()]
        config.overload.all = []
        config.learning.online = false
        config.alert.fireProbability = fire
        config.alert.fireAfter = 1
        config.alert.fireAtOnceProbability = max(fire, 0.95)
        config.alert.resolveProbability = min(0.2, fire / 2)
        let schema = MetricSchema(["x", "z", "y"])
        let pipeline = try DetectionPipeline(settings: .init(config: config, tickSeconds: 10, untrained: false), schema: schema,
                                             model: ModelCatalog.fresh(config), clock: TraceClock(), makeID: { "id" })
        return (1...24).map { tick in
            let gap = (11...20).contains(tick)
            let values = [Double(tick % 3), Double(tick % 5), 0].enumerated().map { gap && missing.contains($0.offset) ? .nan : $0.element }
            return pipeline.ingest(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: values))
        }
    }

    @Test func everyFeatureMissingPastTheCarryGivesNoPrediction() throws {
        let quiet = try pipelineRun(fireAt: 0.999)
        for (index, result) in quiet.enumerated() {
            let tick = index + 1
            switch tick {
            case 1...4: #expect(result.probability == nil && result.state == "warming_up" && !result.blind, "tick \(tick)")
            case 14...20: #expect(result.probability == nil && result.state == "no_data" && result.blind, "tick \(tick)")
            default: #expect(result.probability != nil && result.state == "normal" && !result.blind, "tick \(tick)")
            }
        }
        // An alert open when the host goes dark stays open: neither p nor the rule says it is over.
        let alerting = try pipelineRun(fireAt: 0.01)
        #expect(alerting[9].state == "predicted")
        #expect(alerting[10..<20].allSatisfy { $0.alerting && $0.state == "predicted" })
        #expect(alerting[13..<20].allSatisfy { $0.probability == nil && $0.blind })
        #expect(alerting[20].probability != nil && !alerting[20].blind)
        // One feature left is a host seen in part: p as before (the window is marked imputed).
        let half = try pipelineRun(fireAt: 0.999, missing: [0, 2])
        #expect(half.dropFirst(4).allSatisfy { $0.probability != nil && !$0.blind && $0.state == "normal" })
    }
}
