import Crypto
import Foundation
import SwiftASN1
import X509

/// The federation's certificate authority: an ECDSA P-256 root that signs every node and
/// researcher certificate (docs/ARCHITECTURE.md, "Identity and PKI").
///
/// On disk a CA is a directory with `ca.crt` (PEM certificate) and `ca.key` (PEM private
/// key, mode 0600). A federation that runs its own PKI can use OpenSSL-made files instead;
/// ``load(directory:)`` reads SEC1 and PKCS#8 keys alike.
public struct FederationCA: Sendable {
    public static let certificateFileName = "ca.crt"
    public static let keyFileName = "ca.key"

    /// How long a new root is valid.
    public static let rootValiditySeconds: TimeInterval = 10 * 365.25 * 24 * 3600
    /// How long a node or researcher certificate is valid.
    public static let leafValiditySeconds: TimeInterval = 365 * 24 * 3600
    /// Leaf certificates start this much before "now", so that peers whose clocks run a
    /// little behind accept them at once.
    public static let clockSkewAllowanceSeconds: TimeInterval = 300

    public let certificate: Certificate
    /// Internal (not private) so that FederationCA+Revocation.swift can sign revocation lists.
    let privateKey: Certificate.PrivateKey

    public init(certificate: Certificate, privateKey: Certificate.PrivateKey) throws(PKIError) {
        guard certificate.publicKey == privateKey.publicKey else {
            throw PKIError(.unsupportedKey, "the CA private key does not belong to the CA certificate")
        }
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Creates a new self-signed root: CA:true, key usage keyCertSign and cRLSign.
    public static func create(
        commonName: String = "OncoMesh Federation CA",
        now: Date = Date(),
        validitySeconds: TimeInterval = rootValiditySeconds
    ) throws(PKIError) -> FederationCA {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        do {
            let name = try DistinguishedName {
                OrganizationName("OncoMesh")
                CommonName(commonName)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: key.publicKey,
                notValidBefore: now.addingTimeInterval(-clockSkewAllowanceSeconds),
                notValidAfter: now.addingTimeInterval(validitySeconds),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: key.publicKey)
                },
                issuerPrivateKey: key
            )
            return try FederationCA(certificate: certificate, privateKey: key)
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.signingFailed, "cannot create the CA certificate: \(error)")
        }
    }

    /// Reads `ca.crt` and `ca.key` from a CA directory.
    public static func load(directory: String) throws(PKIError) -> FederationCA {
        let certificatePath = directory + "/" + certificateFileName
        let keyPath = directory + "/" + keyFileName
        let certificate = try PEMLoader.certificate(at: certificatePath)
        let key = try PEMLoader.privateKey(at: keyPath)
        do {
            return try FederationCA(certificate: certificate, privateKey: key)
        } catch {
            throw PKIError(.unsupportedKey, "'\(keyPath)' is not the private key of '\(certificatePath)'")
        }
    }

    /// Writes the CA into `directory`, refusing to replace an existing CA: replacing it would
    /// orphan every certificate the federation has issued.
    public func save(directory: String) throws(PKIError) {
        let certificatePath = directory + "/" + Self.certificateFileName
        let keyPath = directory + "/" + Self.keyFileName
        for path in [certificatePath, keyPath] where SecureFile.exists(path) {
            throw PKIError(
                .alreadyExists,
                "'\(path)' already exists; a federation CA is never overwritten (choose another --dir or remove it yourself)"
            )
        }
        try SecureFile.makeDirectory(directory, mode: 0o700)
        try SecureFile.writeAtomically(try PEMLoader.pem(privateKey), to: keyPath, mode: SecureFile.privateMode)
        try SecureFile.writeAtomically(try PEMLoader.pem(certificate), to: certificatePath, mode: SecureFile.publicMode)
    }

    /// Issues a certificate for a node or researcher with a new P-256 key.
    ///
    /// - Nodes: SAN URI `urn:oncomesh:node:<id>` plus a DNS or IP SAN per host, EKU
    ///   serverAuth + clientAuth (a node both accepts and dials connections).
    /// - Researchers: SAN URI `urn:oncomesh:researcher:<id>`, EKU clientAuth only.
    public func issue(
        _ identity: PeerIdentity,
        hosts: [String] = [],
        now: Date = Date(),
        notValidBefore: Date? = nil,
        notValidAfter: Date? = nil
    ) throws(PKIError) -> Credential {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        var names: [GeneralName] = [.uniformResourceIdentifier(identity.uri)]
        for host in hosts {
            names.append(try Self.subjectAlternativeName(forHost: host))
        }
        let usages: [ExtendedKeyUsage.Usage]
        switch identity.role {
        case .node: usages = [.serverAuth, .clientAuth]
        case .researcher: usages = [.clientAuth]
        }
        let subjectNames = names
        do {
            let subject = try DistinguishedName {
                OrganizationName("OncoMesh")
                CommonName(identity.uri)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: key.publicKey,
                notValidBefore: notValidBefore ?? now.addingTimeInterval(-Self.clockSkewAllowanceSeconds),
                notValidAfter: notValidAfter ?? now.addingTimeInterval(Self.leafValiditySeconds),
                issuer: self.certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage(usages)
                    SubjectAlternativeNames(subjectNames)
                    SubjectKeyIdentifier(hash: key.publicKey)
                    try Self.authorityKeyIdentifier(of: self.certificate)
                },
                issuerPrivateKey: privateKey
            )
            return Credential(certificate: certificate, privateKey: key, caCertificate: self.certificate)
        } catch {
            throw PKIError(.signingFailed, "cannot issue a certificate for \(identity): \(error)")
        }
    }

    /// Issues a certificate with arbitrary extensions. Used to make deliberately defective
    /// certificates (no SAN URI, wrong usages) for the refusal tests of the transport.
    public func issueCustom(
        commonName: String,
        notValidBefore: Date,
        notValidAfter: Date,
        extensions: Certificate.Extensions
    ) throws(PKIError) -> Credential {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        do {
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: key.publicKey,
                notValidBefore: notValidBefore,
                notValidAfter: notValidAfter,
                issuer: self.certificate.subject,
                subject: try DistinguishedName { CommonName(commonName) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: privateKey
            )
            return Credential(certificate: certificate, privateKey: key, caCertificate: self.certificate)
        } catch {
            throw PKIError(.signingFailed, "cannot issue a certificate for '\(commonName)': \(error)")
        }
    }

    private static func authorityKeyIdentifier(of ca: Certificate) throws -> AuthorityKeyIdentifier {
        if let existing = try ca.extensions.subjectKeyIdentifier {
            return AuthorityKeyIdentifier(keyIdentifier: existing.keyIdentifier)
        }
        return AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: ca.publicKey).keyIdentifier)
    }

    /// A DNS SAN for a host name, an IP SAN for an IPv4 or IPv6 literal.
    static func subjectAlternativeName(forHost host: String) throws(PKIError) -> GeneralName {
        if let address = IPAddressBytes.parse(host) {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(address)))
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            !host.isEmpty && host.utf8.count <= 253
            && labels.allSatisfy { label in
                !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                    && label.unicodeScalars.allSatisfy {
                        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                    }
            }
        guard valid else {
            throw PKIError(.invalidHost, "host '\(host)' is neither an IP address nor a valid DNS name")
        }
        return .dnsName(host.lowercased())
    }
}
