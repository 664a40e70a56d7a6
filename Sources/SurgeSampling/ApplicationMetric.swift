/// Metric names of the application sources (CONTRACTS.md). A source configured with a `name`
/// prefixes its metrics with `<name>_`, so two probes can run side by side.
public enum ApplicationMetric {
    public static let probe = ["probe_latency_ms", "probe_up"]
    public static let nginx = [
        "nginx_active", "nginx_accepts_per_s", "nginx_handled_per_s", "nginx_requests_per_s",
        "nginx_reading", "nginx_writing", "nginx_waiting",
    ]
    public static let cgroup = [
        "cgroup_cpu_usage_cores", "cgroup_memory_bytes",
        "cgroup_psi_cpu_some_avg10", "cgroup_psi_mem_some_avg10", "cgroup_psi_io_some_avg10",
    ]

    public static func prefixed(_ names: [String], by sourceName: String?) -> [String] {
        guard let sourceName, !sourceName.isEmpty else { return names }
        return names.map { "\(sourceName)_\($0)" }
    }
}
