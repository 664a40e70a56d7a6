import SurgeConfig
import SurgeSampling
import SurgeSources

/// Builds the sources a configuration enables, in the order of `SurgeConfig.providedMetrics`.
public enum SourceFactory {
    public static func make(_ config: SurgeConfig) -> [any MetricSource] {
        var sources: [any MetricSource] = []
        if config.sources.host { sources.append(HostSource(procRoot: config.sampling.procRoot, listenPorts: config.sources.listenPorts.map(UInt16.init))) }
        for probe in config.sources.probes {
            sources.append(ProbeSource(name: probe.name, url: probe.url, timeout: probe.timeout, options: options(probe.request)))
        }
        for endpoint in config.sources.prometheus {
            sources.append(PrometheusSource(name: endpoint.name, url: endpoint.url, timeout: endpoint.timeout,
                options: options(endpoint.request), metrics: endpoint.metrics.map { ($0.name, $0.expression) }))
        }
        for server in config.sources.nginx {
            sources.append(NginxSource(name: server.name, url: server.url, timeout: server.timeout, options: options(server.request)))
        }
        for group in config.sources.cgroups {
            sources.append(CgroupSource(name: group.name, unit: group.unit, cgroupRoot: config.sampling.cgroupRoot))
        }
        return sources
    }

    static func options(_ request: SurgeConfig.HTTPRequest) -> HTTPRequestOptions {
        HTTPRequestOptions(headers: request.headers.map { ($0.name, $0.value) }, connectTo: request.connectTo,
                           unixSocket: request.unixSocket, caFile: request.caFile, followRedirects: request.followRedirects,
                           clientCertificate: request.clientCertificate.map { ($0.certificate, $0.key) })
    }
}
