#if canImport(Glibc)
import Glibc
#endif
import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

/// With a referee, the learned weights' p comes from their head alone while they share the
/// trained weights' LSTM layers, and from a whole forward when they do not: either way the p
/// of a whole forward, bit for bit.
@Suite struct SharedLayersTests {
    let schema = TwoFeatureShop.schema

    func config() -> SurgeConfig { TwoFeatureShop.config() }

    /// p of each of 200 ticks, the learned weights `learned` serving.
    func probabilities(learned: LSTMParameters, headOnly: Bool) throws -> [Double?] {
        var settings = DetectionPipeline<TraceClock>.Settings(config: config(), tickSeconds: 10, untrained: false)
        settings.headOnlyWhileLayersMatch = headOnly
        let pipeline = try DetectionPipeline(settings: settings, schema: schema, model: ModelCatalog.fresh(config()),
                                             clock: TraceClock(), learned: learned, serving: .learned)
        #expect(pipeline.referee != nil)
        return (0..<200).map { tick in
            let a: Double = 50 + 40 * sin(Double(tick) / 9)
            let b: Double = 30 + 20 * cos(Double(tick) / 5)
            let row = [a, b, tick % 40 > 35 ? 1 : 0]
            return pipeline.ingest(Sample(timestamp: Double(tick) * 10, tick: tick + 1, schema: schema, values: row)).probability
        }
    }

    @Test func theHeadAloneGivesTheWholeForwardsP() throws {
        let trained = ModelCatalog.fresh(config()).parameters
        let shape = trained.shape
        let headStart = shape.tensors.first { $0.name == "fc.weight" }!.offset
        var newHead = trained
        for index in headStart..<shape.parameterCount { newHead.values[index] += 0.3 }
        var newLayers = trained
        newLayers.values[0] += 0.5
        newLayers.values[headStart] += 0.3
        #expect(LSTMClassifier(parameters: newHead).hasLayers(equalTo: LSTMClassifier(parameters: trained)))
        #expect(!LSTMClassifier(parameters: newLayers).hasLayers(equalTo: LSTMClassifier(parameters: trained)))

        let trainedP = try probabilities(learned: trained, headOnly: false)
        for learned in [newHead, newLayers] {
            let whole = try probabilities(learned: learned, headOnly: false)
            let headOnly = try probabilities(learned: learned, headOnly: true)
            #expect(whole.compactMap { $0 }.count == 193)
            #expect(headOnly == whole)
            #expect(whole != trainedP, "the learned weights' p differs from the trained ones', so the comparison can tell")
        }
    }
}
