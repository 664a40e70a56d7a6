import SurgeConfig
import SurgeSources

/// Asks each `[alertmanager]` URL for its status (`GET /api/v2/status`), posting nothing, so a
/// check (`check-config --fetch`) reaches no receiver.
public enum AlertmanagerStatus {
    /// Each URL with the version it answers with (nil: a 2xx page that is no Alertmanager's status),
    /// or why it does not answer.
    public static func ask(_ settings: SurgeConfig.Alertmanager) async -> [(url: String, answer: Result<String?, HTTPFetchError>)] {
        var answers: [(url: String, answer: Result<String?, HTTPFetchError>)] = []
        for (url, endpoint) in zip(settings.urls, settings.endpoints) {
            let status = String(endpoint.dropLast("alerts".count)) + "status"
            let fetcher = HTTPFetcher(url: status, timeout: settings.timeout, maxBodyBytes: 1 << 20, accept: "application/json",
                                      options: SourceFactory.options(settings.request))
            answers.append((url, await fetcher.document().map { version(String(decoding: $0, as: UTF8.self)) }))
        }
        return answers
    }

    /// `versionInfo.version` of the status JSON, read without a JSON library.
    static func version(_ status: String) -> String? {
        guard let info = status.firstRange(of: "\"versionInfo\"") else { return nil }
        let rest = status[info.upperBound...]
        guard let key = rest.firstRange(of: "\"version\":\"") else { return nil }
        let value = rest[key.upperBound...].prefix { $0 != "\"" }
        return value.isEmpty ? nil : String(value)
    }
}
