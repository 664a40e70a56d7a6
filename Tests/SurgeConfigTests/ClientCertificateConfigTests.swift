import Foundation
import Testing
@testable import SurgeConfig

/// `tls_cert_file` and `tls_key_file` (mutual TLS), with the PEM files of Fixtures/tls: a
/// test-only self-signed certificate and its key, in the clear, encrypted both ways, and
/// together in one file.
@Suite struct ClientCertificateConfigTests {
    let directory = Bundle.module.resourcePath! + "/Fixtures/tls"

    @Test func aCertificateAndItsKeyAreFoundBesideTheConfig() throws {
        let config = try ConfigLoader.load(path: directory + "/good.toml")
        #expect(config.sources.probes[0].request.clientCertificate == .init(certificate: directory + "/client.pem", key: directory + "/client.key"))
        #expect(config.sources.prometheus[0].request.clientCertificate == .init(certificate: directory + "/client-with-key.pem"))
        #expect(config.sources.probes[0].request.described
                == "client certificate \(directory)/client.pem (key \(directory)/client.key)", "paths, never the key")
        // A tool that reads no source names the files without opening them.
        #expect(try ConfigLoader.load(path: directory + "/good.toml", sourceFiles: false).sources.probes[0].request.clientCertificate?.key
                == directory + "/client.key")
    }

    @Test func whatCannotServeIsSaidWhereItIsNamed() {
        let file = directory + "/bad.toml"
        var messages: [String] = []
        do {
            _ = try ConfigLoader.load(path: file)
        } catch {
            messages = error.errors.map(\.description)
        }
        let encrypted = "the private key is encrypted, and nothing could type its passphrase at each connection: decrypt a copy "
            + "(openssl pkey -in KEY -out PLAIN), root's only, handed to the unit with LoadCredential="
        #expect(messages == [
            "\(file):3:16: sources.probe[0].tls_key_file: a key without tls_cert_file: name the certificate it belongs to",
            "\(file):7:17: sources.probe[1].tls_cert_file: \(directory)/client.key holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            "\(file):11:17: sources.probe[2].tls_cert_file: \(directory)/client.pem holds no private key beside the certificate: "
                + "name the key's file in tls_key_file",
            "\(file):16:16: sources.probe[3].tls_key_file: \(directory)/client-encrypted.key: \(encrypted)",
            "\(file):21:16: sources.probe[4].tls_key_file: \(directory)/client-encrypted-traditional.key: \(encrypted)",
            "\(file):26:16: sources.probe[5].tls_key_file: \(directory)/client.pem holds no PEM private key (-----BEGIN PRIVATE KEY-----)",
            "\(file):30:17: sources.probe[6].tls_cert_file: cannot read \(directory)/absent.pem: No such file or directory",
            "\(file):34:17: sources.nginx[0].tls_cert_file: cannot read \(directory)/.: a directory, not a file holding PEM"])
    }
}
