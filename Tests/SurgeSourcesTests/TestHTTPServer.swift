import Foundation

/// `Fixtures/test_http_server.py` run as a child process: a real HTTP server on 127.0.0.1 whose
/// paths misbehave in known ways. Stopped when the value is released.
final class TestHTTPServer: @unchecked Sendable {
    let process = Process()
    let port: Int

    /// `tls`: PEM certificate and key files to serve https with; `clientCA`: with `tls`, the
    /// certificates a client must show one signed by (mutual TLS); `unixSocket`: a path to
    /// serve plain http on instead of a port (`port` is then 0).
    init(tls: (certificate: String, key: String)? = nil, clientCA: String? = nil, unixSocket: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Bundle.module.resourcePath! + "/Fixtures/test_http_server.py"]
            + (tls.map { [$0.certificate, $0.key] } ?? []) + (clientCA.map { [$0] } ?? []) + (unixSocket.map { ["--unix", $0] } ?? [])
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "test server did not print its port"])
        }
        self.port = port
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    deinit {
        // SIGKILL, not terminate(): the child inherits the test runner's signal mask, in which
        // SIGTERM can be blocked, and would then outlive the test.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
