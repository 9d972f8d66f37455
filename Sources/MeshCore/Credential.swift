import Foundation
import X509

/// A certificate, its private key and the federation CA certificate it chains to: what a
/// node or researcher needs to open mutual-TLS connections and to sign what it publishes.
///
/// On disk (`meshnode ca issue-node` / `issue-researcher`): `node.crt` + `node.key` or
/// `researcher.crt` + `researcher.key`, and `ca.crt`, all PEM; keys have mode 0600.
public struct Credential: Sendable {
    public let certificate: Certificate
    public let privateKey: Certificate.PrivateKey
    public let caCertificate: Certificate

    public init(certificate: Certificate, privateKey: Certificate.PrivateKey, caCertificate: Certificate) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.caCertificate = caCertificate
    }

    /// The file names of a credential of the given role inside its directory.
    public static func fileNames(for role: PeerIdentity.Role) -> (certificate: String, key: String, ca: String) {
        (role.rawValue + ".crt", role.rawValue + ".key", "ca.crt")
    }

    /// The identity named by the certificate's SAN URI.
    public var identity: PeerIdentity {
        get throws(PKIError) { try CertificateIdentity.identity(of: certificate) }
    }

    /// Writes the credential into `directory` as `<role>.crt`, `<role>.key` (0600) and
    /// `ca.crt`. An existing key is never replaced: that would silently take a node's
    /// identity away from it.
    public func save(directory: String) throws(PKIError) {
        let role = try identity.role
        let names = Self.fileNames(for: role)
        let keyPath = directory + "/" + names.key
        if SecureFile.exists(keyPath) {
            throw PKIError(.alreadyExists, "'\(keyPath)' already exists; refusing to replace an identity (choose another --out)")
        }
        try SecureFile.makeDirectory(directory, mode: 0o700)
        try SecureFile.writeAtomically(try PEMLoader.pem(privateKey), to: keyPath, mode: SecureFile.privateMode)
        try SecureFile.writeAtomically(try PEMLoader.pem(certificate), to: directory + "/" + names.certificate, mode: SecureFile.publicMode)
        try SecureFile.writeAtomically(try PEMLoader.pem(caCertificate), to: directory + "/" + names.ca, mode: SecureFile.publicMode)
    }

    /// Loads a credential from explicit paths. Accepts files made by OpenSSL: SEC1
    /// (`EC PRIVATE KEY`) and PKCS#8 (`PRIVATE KEY`) keys.
    public static func load(certificatePath: String, keyPath: String, caPath: String) throws(PKIError) -> Credential {
        let certificate = try PEMLoader.certificate(at: certificatePath)
        let key = try PEMLoader.privateKey(at: keyPath)
        let ca = try PEMLoader.certificate(at: caPath)
        guard certificate.publicKey == key.publicKey else {
            throw PKIError(.unsupportedKey, "'\(keyPath)' is not the private key of '\(certificatePath)'")
        }
        return Credential(certificate: certificate, privateKey: key, caCertificate: ca)
    }

    /// Loads `<role>.crt`, `<role>.key` and `ca.crt` from a directory, trying the node files
    /// first and then the researcher files.
    public static func load(directory: String) throws(PKIError) -> Credential {
        for role in PeerIdentity.Role.allCases {
            let names = fileNames(for: role)
            if SecureFile.exists(directory + "/" + names.certificate) {
                return try load(
                    certificatePath: directory + "/" + names.certificate,
                    keyPath: directory + "/" + names.key,
                    caPath: directory + "/" + names.ca
                )
            }
        }
        throw PKIError(.fileUnreadable, "'\(directory)' holds neither node.crt nor researcher.crt")
    }
}
