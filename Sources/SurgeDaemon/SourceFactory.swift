import SurgeConfig
import SurgeSampling

/// Builds the sources a configuration enables, in the order of `SurgeConfig.providedMetrics`.
public enum SourceFactory {
    public static func make(_ config: SurgeConfig) -> [any MetricSource] {
        var sources: [any MetricSource] = []
        if config.sources.host { sources.append(HostSource(procRoot: config.sampling.procRoot)) }
        for probe in config.sources.probes {
            sources.append(PendingSource(id: "probe \(probe.name ?? probe.url)",
                metricNames: ApplicationMetric.prefixed(ApplicationMetric.probe, by: probe.name)))
        }
        for endpoint in config.sources.prometheus {
            sources.append(PendingSource(id: "prometheus \(endpoint.name ?? endpoint.url)",
                metricNames: ApplicationMetric.prefixed(endpoint.metrics.map(\.name), by: endpoint.name)))
        }
        for server in config.sources.nginx {
            sources.append(PendingSource(id: "nginx \(server.name ?? server.url)",
                metricNames: ApplicationMetric.prefixed(ApplicationMetric.nginx, by: server.name)))
        }
        for group in config.sources.cgroups {
            sources.append(PendingSource(id: "cgroup \(group.unit)",
                metricNames: ApplicationMetric.prefixed(ApplicationMetric.cgroup, by: group.name)))
        }
        return sources
    }
}
