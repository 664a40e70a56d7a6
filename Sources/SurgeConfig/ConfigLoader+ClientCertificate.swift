import Glibc

extension ConfigLoader {
    /// `tls_cert_file` and `tls_key_file`: the certificate an https server that asks for one
    /// (mutual TLS) is shown, and its private key (else read from the certificate's file). Found
    /// as `header_files` are, a relative name in `$CREDENTIALS_DIRECTORY` (the unit's
    /// `LoadCredential=`) or beside the config, since the key is a secret. Checked at start and
    /// reload to be PEM and the key not encrypted: nothing could type its passphrase, and libcurl
    /// would otherwise fail each request with words about the handshake.
    static func clientCertificate(_ t: TableReader) -> SurgeConfig.ClientCertificate? {
        let certificateName = t.string("tls_cert_file"), keyName = t.string("tls_key_file")
        guard let certificateName else {
            if keyName != nil { t.fail("tls_key_file", "a key without tls_cert_file: name the certificate it belongs to") }
            return nil
        }
        let certificate = ClientCertificateFile(name: certificateName, key: "tls_cert_file", t)
        let key = keyName.map { ClientCertificateFile(name: $0, key: "tls_key_file", t) }
        guard t.context.readsSourceFiles else { return .init(certificate: certificate.path, key: key?.path) }
        guard let certificateLabels = certificate.pemLabels(t) else { return nil }
        guard certificateLabels.contains("CERTIFICATE") else {
            t.fail("tls_cert_file", "\(certificate.path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            return nil
        }
        let keyHolder = key ?? certificate
        guard let keyLabels = key == nil ? certificateLabels : key?.pemLabels(t) else { return nil }
        if keyLabels.contains("ENCRYPTED PRIVATE KEY") || keyLabels.contains(Self.legacyEncryptedMark) {
            t.fail(keyHolder.key, "\(keyHolder.path): the private key is encrypted, and nothing could type its passphrase at each "
                   + "connection: decrypt a copy (openssl pkey -in KEY -out PLAIN), root's only, handed to the unit with LoadCredential=")
            return nil
        }
        guard keyLabels.contains(where: { $0.hasSuffix("PRIVATE KEY") }) else {
            t.fail(keyHolder.key, key == nil
                   ? "\(certificate.path) holds no private key beside the certificate: name the key's file in tls_key_file"
                   : "\(keyHolder.path) holds no PEM private key (-----BEGIN PRIVATE KEY-----)")
            return nil
        }
        return .init(certificate: certificate.path, key: key?.path)
    }

    /// Stands for the "Proc-Type: 4,ENCRYPTED" header of an OpenSSL-encrypted traditional key.
    static let legacyEncryptedMark = "Proc-Type: 4,ENCRYPTED"
}

/// One of the two files, where it is found and which key named it.
private struct ClientCertificateFile {
    let path: String
    let key: String

    init(name: String, key: String, _ t: TableReader) {
        let found = ConfigLoader.headerFilePath(name, config: t.context.file)
        // libcurl reads the files at each connection: a path relative to a config named
        // relatively must not depend on the directory the daemon is in then.
        var directory = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        if !found.hasPrefix("/"), getcwd(&directory, directory.count) != nil {
            path = String(decoding: directory.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + found
        } else {
            path = found
        }
        self.key = key
    }

    /// The labels of the file's PEM blocks ("CERTIFICATE", "PRIVATE KEY", ...), with
    /// `legacyEncryptedMark` when a block says so; nil when it cannot be read (said at `key`).
    func pemLabels(_ t: TableReader) -> [String]? {
        switch ConfigLoader.readSecretFile(path, limit: 256 << 10, holding: "PEM", tooLarge: "larger than 256 KiB; not a certificate or key") {
        case .failure(let reason):
            t.fail(key, "cannot read \(path): \(reason)\(reason.userHint)")
            return nil
        case .success(let bytes):
            let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            var labels = lines.compactMap { line -> String? in
                guard line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") else { return nil }
                return String(line.dropFirst("-----BEGIN ".count).dropLast("-----".count))
            }
            if lines.contains(where: { $0.hasPrefix(ConfigLoader.legacyEncryptedMark) }) { labels.append(ConfigLoader.legacyEncryptedMark) }
            return labels
        }
    }
}
