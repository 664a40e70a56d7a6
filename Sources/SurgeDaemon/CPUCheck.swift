#if canImport(Glibc)
import Glibc
#endif
import SurgeJournal
import SurgeModel
import SurgeSampling

/// A binary built by scripts/swift-cpu-flags for AVX2 and FMA would die of SIGILL on an older
/// CPU somewhere in the first model step, which an operator would read as a crash. This check
/// is the first thing `main` does, before parsing arguments, and says what is wrong instead.
/// (It cannot be perfect: the compiler may use AVX2 anywhere, the check's own code included,
/// but reading a file and comparing strings gives it little reason to.)
public enum CPUCheck {
    public static let required = KernelBuild.requiredCPUFeatures

    /// The CPU features this build needs that /proc/cpuinfo does not list, or [] if it cannot tell.
    public static func missingFeatures(cpuinfo path: String = "/proc/cpuinfo", required: [String] = required) -> [String] {
        guard !required.isEmpty, let text = try? ProcFileReader().read(path) else { return [] }
        var flags: Set<String>?
        text.forEachLine { _, line in
            guard line.hasPrefix("flags") else { return true }
            flags = Set(procFields(line).map { String(decoding: $0, as: UTF8.self) })
            return false
        }
        guard let flags else { return [] }
        return required.filter { !flags.contains($0) }
    }

    public static func exitIfUnsupported() {
        let missing = missingFeatures()
        guard !missing.isEmpty else { return }
        let message = "surgewatch: this binary was built for CPUs with \(required.joined(separator: ", ")) "
            + "(scripts/swift-cpu-flags), and this CPU lacks \(missing.joined(separator: ", ")); "
            + "rebuild here, or with SURGEWATCH_PORTABLE=1 for any x86-64\n"
        writeAll(message, to: STDERR_FILENO)
        exit(1)
    }
}
