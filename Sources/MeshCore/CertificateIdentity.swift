import X509

/// Finds the OncoMesh identity in a certificate: exactly one SAN URI of the form
/// `urn:oncomesh:node:<id>` or `urn:oncomesh:researcher:<id>`.
///
/// This check replaces hostname verification (docs/ARCHITECTURE.md, "Transport"): what matters is
/// which node or researcher a peer is, not which address it came from.
public enum CertificateIdentity {
    public static func identity(of certificate: Certificate) throws(PKIError) -> PeerIdentity {
        let names: SubjectAlternativeNames
        do {
            guard let found = try certificate.extensions.subjectAlternativeNames else {
                throw PKIError(.invalidIdentity, "certificate '\(certificate.subject)' has no subject alternative names, so no urn:oncomesh SAN URI")
            }
            names = found
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.invalidIdentity, "certificate '\(certificate.subject)' has a malformed subject alternative name extension: \(error)")
        }
        var identities: [PeerIdentity] = []
        for name in names {
            guard case .uniformResourceIdentifier(let uri) = name else { continue }
            do {
                if let identity = try PeerIdentity(uri: uri) {
                    identities.append(identity)
                }
            } catch {
                throw PKIError(.invalidIdentity, "certificate '\(certificate.subject)' has an invalid SAN URI '\(uri)': \(error.message)")
            }
        }
        guard let identity = identities.first else {
            throw PKIError(.invalidIdentity, "certificate '\(certificate.subject)' has no urn:oncomesh:node: or urn:oncomesh:researcher: SAN URI")
        }
        guard identities.count == 1 else {
            throw PKIError(.invalidIdentity, "certificate '\(certificate.subject)' names \(identities.count) OncoMesh identities; exactly one is allowed")
        }
        return identity
    }
}
