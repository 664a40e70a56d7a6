import Foundation
import SurgeSampling
import Testing
@testable import SurgeSources

/// A `/metrics` or health page behind mutual TLS (a service mesh's sidecar, an actuator that
/// asks for a client certificate), against a real https server on 127.0.0.1 that requires a
/// certificate its client CA signed. Certificates are made by openssl each run.
@Suite struct MutualTLSTests {
    let serverCertificate: HTTPSSourceTests.Certificate
    let client: HTTPSSourceTests.Certificate
    let server: TestHTTPServer

    init() throws {
        serverCertificate = try HTTPSSourceTests.Certificate(subjectAltName: "IP:127.0.0.1")
        client = try HTTPSSourceTests.Certificate()
        server = try TestHTTPServer(tls: (serverCertificate.certificate, serverCertificate.key), clientCA: client.certificate)
    }

    var url: String { "https://127.0.0.1:\(server.port)/health" }

    func probe(_ clientCertificate: (certificate: String, key: String?)?) async -> SourceReading {
        await ProbeSource(name: nil, url: url, timeout: .seconds(2),
                          options: HTTPRequestOptions(caFile: serverCertificate.certificate, clientCertificate: clientCertificate))
            .read(monotonicSeconds: 0)
    }

    @Test func theCertificateIsShownAndAccepted() async throws {
        let shown = await probe((client.certificate, client.key))
        #expect(shown.values[1] == 1 && shown.problems.isEmpty, "\(shown.problems)")
        // The key in the certificate's own file.
        let combined = client.directory + "/both.pem"
        try (String(contentsOfFile: client.certificate, encoding: .utf8) + String(contentsOfFile: client.key, encoding: .utf8))
            .write(toFile: combined, atomically: true, encoding: .utf8)
        let oneFile = await probe((combined, nil))
        #expect(oneFile.values[1] == 1 && oneFile.problems.isEmpty, "\(oneFile.problems)")
        // A scrape over the same connection each tick.
        let scrape = PrometheusSource(name: nil, url: "https://127.0.0.1:\(server.port)/metrics", timeout: .seconds(2),
                                      options: HTTPRequestOptions(caFile: serverCertificate.certificate,
                                                                  clientCertificate: (client.certificate, client.key)),
                                      metrics: [("app_inflight", "gauge(app_inflight_requests)")])
        for tick in 0..<2 {
            let scraped = await scrape.read(monotonicSeconds: Double(tick))
            #expect(scraped.problems.isEmpty && !scraped.values[0].isNaN, "\(scraped.problems)")
        }
    }

    /// Without one, TLS 1.3 meets the server's refusal reading the answer: curl's "recv error",
    /// which must not read as a body cut short.
    @Test func noCertificateIsSaidAsTheServersAsking() async {
        let none = await probe(nil)
        #expect(none.values[1] == 0)
        let message = none.problems.first?.message ?? ""
        #expect(message.hasPrefix("\(url): ") && message.contains("alert certificate required")
                && message.hasSuffix(" (the server asks for a client certificate: tls_cert_file and tls_key_file)"), "\(none.problems)")
        #expect(!message.contains("cut short"))
    }

    @Test func aCertificateTheServerDoesNotTrustIsNamed() async throws {
        let stranger = try HTTPSSourceTests.Certificate()
        let refused = await probe((stranger.certificate, stranger.key))
        #expect(refused.values[1] == 0)
        #expect(refused.problems.first?.message.hasSuffix(" (the server refused the client certificate \(stranger.certificate))") == true,
                "\(refused.problems)")
    }
}
