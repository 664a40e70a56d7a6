#if canImport(Glibc)
import Glibc
#endif
import SurgeJournal

/// A binary built by scripts/swift-cpu-flags for AVX2 and FMA would die of SIGILL on an older
/// CPU somewhere in the first model step, which an operator would read as a crash. This check
/// runs first in `main` and says what is wrong instead. (It cannot be perfect: the compiler may
/// use AVX2 anywhere, but the code before it is the argument parser's start, which in practice
/// does not.)
public enum CPUCheck {
    #if SURGEWATCH_AVX512
    public static let required = ["avx2", "fma", "bmi2", "avx512f", "avx512vl", "avx512bw", "avx512dq"]
    #elseif SURGEWATCH_FMA
    public static let required = ["avx2", "fma", "bmi2"]
    #else
    public static let required: [String] = []
    #endif

    /// The CPU features this build needs that /proc/cpuinfo does not list, or [] if it cannot tell.
    public static func missingFeatures(cpuinfo path: String = "/proc/cpuinfo", required: [String] = required) -> [String] {
        guard !required.isEmpty, let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!)
            guard text.hasPrefix("flags") else { continue }
            let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == ":" }).map(String.init))
            return required.filter { !flags.contains($0) }
        }
        return []
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
