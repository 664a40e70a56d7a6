import Foundation
import Testing
import SurgeSampling
@testable import SurgeSources

/// A shop that serves only https, probed from its own host: the URL names the shop (the name
/// its certificate holds and the Host header), `connect_to` sends the connection to 127.0.0.1,
/// and `tls_ca_file` trusts the shop's own CA. The certificate is made by openssl each run.
@Suite struct HTTPSSourceTests {
    /// A self-signed certificate for shop.example.com (or the names `subjectAltName` gives, in
    /// openssl's words) and its key, removed with this object.
    final class Certificate {
        let directory = NSTemporaryDirectory() + "surgewatch-tls-\(UUID().uuidString.prefix(8))"
        var certificate: String { directory + "/shop.pem" }
        var key: String { directory + "/shop.key" }

        init(subjectAltName: String = "DNS:shop.example.com") throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", key, "-out", certificate,
                                 "-subj", "/CN=shop.example.com", "-addext", "subjectAltName=" + subjectAltName]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl req failed (scripts/test installs openssl)"])
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func aShopsHTTPSIsProbedByItsNameAtThisHost() async throws {
        let tls = try Certificate()
        let server = try TestHTTPServer(tls: (tls.certificate, tls.key))
        let url = "https://shop.example.com:\(server.port)/vhost/shop.example.com"
        let local = "127.0.0.1:\(server.port)"

        let probed = await ProbeSource(name: nil, url: url, timeout: .seconds(2),
                                       options: HTTPRequestOptions(connectTo: local, caFile: tls.certificate)).read(monotonicSeconds: 0)
        #expect(probed.values[1] == 1 && probed.problems.isEmpty, "the name checked and sent as Host: \(probed.problems)")

        let untrusted = await ProbeSource(name: nil, url: url, timeout: .seconds(2),
                                          options: HTTPRequestOptions(connectTo: local)).read(monotonicSeconds: 0)
        #expect(untrusted.values[1] == 0)
        #expect(untrusted.problems.first?.message.contains("certificate") == true, "\(untrusted.problems)")
        // Named with where it connected: a refusal there is not DNS's.
        #expect(untrusted.problems.first?.message.hasPrefix("\(url) (at \(local)): ") == true, "\(untrusted.problems)")
        #expect(untrusted.problems.first?.location == "\(url) (at \(local))")

        // By address alone the certificate's name does not match: what connect_to is for.
        let byAddress = await ProbeSource(name: nil, url: "https://\(local)/health", timeout: .seconds(2),
                                          options: HTTPRequestOptions(caFile: tls.certificate)).read(monotonicSeconds: 0)
        #expect(byAddress.values[1] == 0)
        #expect(byAddress.problems.first?.message.contains("127.0.0.1") == true, "\(byAddress.problems)")
    }

    /// An app server that listens on a unix socket behind nginx (gunicorn, puma), probed on its
    /// socket: the URL's name goes in the Host header, the connection to the socket.
    @Test func aUnixSocketIsProbedWithTheURLsName() async throws {
        let directory = NSTemporaryDirectory() + "surgewatch-unix-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/app.sock"
        let server = try TestHTTPServer(unixSocket: socket)
        let url = "http://shop.example.com/vhost/shop.example.com"
        let probed = await ProbeSource(name: nil, url: url, timeout: .seconds(2),
                                       options: HTTPRequestOptions(unixSocket: socket)).read(monotonicSeconds: 0)
        #expect(probed.values[1] == 1 && probed.problems.isEmpty, "\(probed.problems)")
        withExtendedLifetime(server) {}
        // The server gone (the socket file left): refused, and said with the socket.
        unlink(socket)
        let gone = await ProbeSource(name: nil, url: url, timeout: .seconds(2), options: HTTPRequestOptions(unixSocket: socket)).read(monotonicSeconds: 0)
        #expect(gone.values[1] == 0 && gone.values[0].isNaN)
        #expect(gone.problems.first?.message == "\(url) (at unix:\(socket)): connection failed: \(socket): No such file or directory",
                "curl would say port 80: \(gone.problems)")
    }

    @Test func connectToSendsPlainHTTPToAnotherAddressWithTheURLsName() async throws {
        let server = try TestHTTPServer()
        let scraped = await ProbeSource(name: nil, url: "http://shop.example.com/vhost/shop.example.com", timeout: .seconds(2),
                                        options: HTTPRequestOptions(connectTo: "127.0.0.1:\(server.port)")).read(monotonicSeconds: 0)
        #expect(scraped.values[1] == 1 && scraped.problems.isEmpty, "\(scraped.problems)")
    }
}
