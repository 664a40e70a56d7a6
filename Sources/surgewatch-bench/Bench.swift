import ArgumentParser

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surgewatch-bench",
        abstract: "Release-build benchmarks of surgewatch's hot paths (see BENCHMARKS.md).",
        subcommands: [HostBench.self, StoreBench.self, LSTMBench.self, PipelineBench.self, AllocationAudit.self, OracleBench.self, ScoreBench.self, PolicyTableBench.self, LearningLatencyBench.self, ListenQueueBench.self])
}
