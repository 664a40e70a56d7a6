import Foundation
import SurgeSampling
import Testing
@testable import SurgeDaemon

/// `[prometheus] textfile`: what a tick leaves for node_exporter, read back with surgewatch's
/// own exposition parser (the one its Prometheus source scrapes with, strict as Prometheus).
@Suite struct PrometheusTextfileTests {
    static let predicted = PrometheusTextfile.State(timestamp: 1_764_900_000.5, tick: 42, probability: 0.93, state: "predicted", label: false,
                                                    horizonSeconds: 30, missingFeatures: 1, sourceFailures: 3, learning: .init(steps: 120, rollbacks: 1))

    func samples(_ state: PrometheusTextfile.State) throws -> [String: Double] {
        let exposition = try PrometheusExposition.parse(Array(PrometheusTextfile.render(state).utf8))
        var values: [String: Double] = [:]
        for sample in exposition.samples {
            values[sample.name + (sample.label("kind").map { "{\($0)}" } ?? "")] = sample.value
        }
        return values
    }

    @Test func aPredictedAlertAndItsFigures() throws {
        let values = try samples(Self.predicted)
        #expect(values == ["surgewatch_overload_probability": 0.93, "surgewatch_alert_open{predicted}": 1, "surgewatch_alert_open{breached}": 0,
                           "surgewatch_slo_breached": 0, "surgewatch_horizon_seconds": 30, "surgewatch_last_tick_timestamp_seconds": 1_764_900_000.5,
                           "surgewatch_ticks_total": 42, "surgewatch_features_missing": 1, "surgewatch_source_failures_total": 3,
                           "surgewatch_learning_steps_total": 120, "surgewatch_learning_rollbacks_total": 1])
        let exposition = try PrometheusExposition.parse(Array(PrometheusTextfile.render(Self.predicted).utf8))
        #expect(exposition.types["surgewatch_ticks_total"] == .counter && exposition.types["surgewatch_overload_probability"] == .gauge)
    }

    /// What is not known is left out, never written as 0: no p while the window fills, no
    /// verdict with a rule metric missing, no learning figures with learning off.
    @Test func unknownValuesAreLeftOut() throws {
        var warming = Self.predicted
        (warming.probability, warming.state, warming.label, warming.learning) = (nil, "warming_up", nil, nil)
        let values = try samples(warming)
        #expect(values["surgewatch_overload_probability"] == nil && values["surgewatch_slo_breached"] == nil)
        #expect(values["surgewatch_learning_steps_total"] == nil)
        #expect(values["surgewatch_alert_open{predicted}"] == 0 && values["surgewatch_alert_open{breached}"] == 0)
        var breached = Self.predicted
        (breached.state, breached.label) = ("breached", true)
        #expect(try samples(breached)["surgewatch_alert_open{breached}"] == 1)
        #expect(try samples(breached)["surgewatch_slo_breached"] == 1)
    }

    /// Written whole through a rename, readable by another user whatever the umask, and gone
    /// when a reload moves it or the daemon stops.
    @Test func writtenWholeThenRemoved() throws {
        let directory = NSTemporaryDirectory() + "surgewatch-textfile-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var target = TextfileTarget()
        let first = directory + "/surgewatch.prom", second = directory + "/moved.prom"
        #expect(target.show(Self.predicted, at: first) == nil)
        #expect(try String(contentsOfFile: first, encoding: .utf8) == PrometheusTextfile.render(Self.predicted))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: first)[.posixPermissions] as? Int)
        #expect(mode == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["surgewatch.prom"], "no temporary file left")
        #expect(target.show(Self.predicted, at: second) == nil)
        #expect(!FileManager.default.fileExists(atPath: first) && FileManager.default.fileExists(atPath: second))
        _ = target.show(Self.predicted, at: nil)
        #expect(!FileManager.default.fileExists(atPath: second), "turned off: removed")
        _ = target.show(Self.predicted, at: first)
        target.stop()
        #expect(!FileManager.default.fileExists(atPath: first), "stopped: removed")
        let failure = target.show(Self.predicted, at: directory + "/absent/surgewatch.prom")
        #expect(failure?.hasPrefix(directory + "/absent/surgewatch.prom.tmp: No such file or directory") == true, "\(failure ?? "")")
    }
}
