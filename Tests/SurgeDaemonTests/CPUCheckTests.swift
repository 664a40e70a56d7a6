import Foundation
import Testing
@testable import SurgeDaemon

/// The start-up check of an FMA build (scripts/swift-cpu-flags) against real /proc/cpuinfo
/// heads: this machine's, and the same with avx2 and fma removed.
@Suite struct CPUCheckTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/cpuinfo").path
    let needs = ["avx2", "fma", "bmi2"]

    @Test func aCPUWithTheFeaturesPasses() {
        #expect(CPUCheck.missingFeatures(cpuinfo: Self.fixtures + "/epyc-avx512.txt", required: needs) == [])
    }

    @Test func missingFeaturesAreNamedInOrder() {
        #expect(CPUCheck.missingFeatures(cpuinfo: Self.fixtures + "/without-avx2-fma.txt", required: needs) == ["avx2", "fma"])
    }

    @Test func aPortableBuildNeedsNothing() {
        #expect(CPUCheck.missingFeatures(cpuinfo: Self.fixtures + "/without-avx2-fma.txt", required: []) == [])
    }

    @Test func theRunningMachineCanRunThisBuild() {
        // Whatever flags built these tests, the machine running them must satisfy them.
        #expect(CPUCheck.missingFeatures() == [])
    }
}
