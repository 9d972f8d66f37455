import Foundation

/// Makes certificates with the `openssl` command-line tool, to show that a federation's
/// own PKI (not made by `meshnode ca`) works the same way.
public enum OpenSSL {
    /// Creates a P-256 root with openssl: `ca.key` (SEC1 "EC PRIVATE KEY") and `ca.crt`.
    public static func makeRoot(in directory: String, commonName: String = "OpenSSL Federation Root") throws {
        try check(ProcessRunner.run("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", directory + "/ca.key"]))
        try check(
            ProcessRunner.run("openssl", [
                "req", "-x509", "-new", "-key", directory + "/ca.key", "-sha256", "-days", "30",
                "-subj", "/O=OncoMesh test/CN=\(commonName)", "-out", directory + "/ca.crt",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        )
    }

    /// Issues a leaf signed by the openssl root in `caDirectory`, with the given SAN list
    /// (e.g. "URI:urn:oncomesh:node:x,IP:127.0.0.1") or none; key as PKCS#8 "PRIVATE KEY".
    public static func issueLeaf(
        caDirectory: String,
        out directory: String,
        name: String,
        subjectAltName: String?,
        extendedKeyUsage: String = "serverAuth,clientAuth"
    ) throws {
        let key = directory + "/\(name).key"
        let csr = directory + "/\(name).csr"
        let extensions = directory + "/\(name).ext"
        try check(ProcessRunner.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]))
        try check(ProcessRunner.run("openssl", ["req", "-new", "-key", key, "-subj", "/CN=\(name)", "-out", csr]))
        var lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=\(extendedKeyUsage)"]
        if let subjectAltName { lines.append("subjectAltName=\(subjectAltName)") }
        try lines.joined(separator: "\n").write(toFile: extensions, atomically: true, encoding: .utf8)
        try check(
            ProcessRunner.run("openssl", [
                "x509", "-req", "-in", csr, "-CA", caDirectory + "/ca.crt", "-CAkey", caDirectory + "/ca.key",
                "-CAcreateserial", "-days", "30", "-sha256", "-extfile", extensions, "-out", directory + "/\(name).crt",
            ])
        )
    }

    @discardableResult
    public static func check(_ result: ProcessResult) throws -> ProcessResult {
        guard result.status == 0 else {
            throw TestSupportError("openssl failed (\(result.status)): \(result.combinedOutput)")
        }
        return result
    }
}
