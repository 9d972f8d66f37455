import Crypto
import Foundation
import SwiftASN1
import X509

/// Checks, synchronously, that a certificate chain leads to the federation CA: what a node
/// does before it trusts anything another node signed (a catalogue, a query plan).
///
/// Why not swift-certificates' `Verifier` with `RFC5280Policy`: its `validate` is `async`
/// (its certificate store may fetch), and the catalogue anti-entropy core is a synchronous
/// state machine that the simulator drives on a virtual clock. The federation's PKI is one
/// level deep (the root has `maxPathLength: 0` and signs every node certificate directly), so
/// the RFC 5280 path checks reduce to the handful below; the tests check that `Verifier`
/// agrees with this on valid, foreign, expired and not-yet-valid chains.
///
/// Checked, at `time`:
/// - the leaf is issued by the CA (issuer name equals the CA subject) and its signature
///   verifies under the CA key;
/// - the CA and the leaf are both within their validity periods;
/// - the CA is a CA (basic constraints), allowed to sign certificates (key usage);
/// - the leaf is not a CA, may make digital signatures (key usage, when present) and has no
///   critical extension this check does not understand;
/// - any further certificate in the chain is the CA certificate itself (peers may send it
///   along); intermediates are refused, since the federation never issues any.
public struct FederationChain: Sendable {
    public let caCertificate: Certificate

    public init(caCertificate: Certificate) {
        self.caCertificate = caCertificate
    }

    private static let understoodCriticalExtensions: Set<ASN1ObjectIdentifier> = [
        .X509ExtensionID.basicConstraints,
        .X509ExtensionID.keyUsage,
        .X509ExtensionID.extendedKeyUsage,
        .X509ExtensionID.subjectAlternativeName,
    ]

    /// Returns the leaf when the chain is trusted at `time`.
    public func validate(_ chain: [Certificate], at time: Date) throws(FederationChainError) -> Certificate {
        guard let leaf = chain.first else {
            throw FederationChainError(.untrusted, "the certificate chain is empty")
        }
        for extra in chain.dropFirst() where extra != caCertificate {
            throw FederationChainError(
                .untrusted,
                "the chain holds '\(extra.subject)', which is not the federation CA; the federation issues no intermediate certificates"
            )
        }
        try checkCA(at: time)
        guard leaf.issuer == caCertificate.subject,
            caCertificate.publicKey.isValidSignature(leaf.signature, for: leaf)
        else {
            throw FederationChainError(
                .untrusted,
                "certificate '\(leaf.subject)' (issuer '\(leaf.issuer)') is not signed by the federation CA '\(caCertificate.subject)'"
            )
        }
        guard leaf.notValidBefore <= time, time <= leaf.notValidAfter else {
            throw FederationChainError(
                .notValidAtTime,
                "certificate '\(leaf.subject)' serial \(leaf.serialNumber) is valid from \(leaf.notValidBefore) to \(leaf.notValidAfter), not at \(time)"
            )
        }
        for critical in leaf.extensions where critical.critical && !Self.understoodCriticalExtensions.contains(critical.oid) {
            throw FederationChainError(.unsuitable, "certificate '\(leaf.subject)' has an unknown critical extension \(critical.oid)")
        }
        do {
            if case .isCertificateAuthority = try leaf.extensions.basicConstraints {
                throw FederationChainError(.unsuitable, "certificate '\(leaf.subject)' is a CA certificate, not a node's")
            }
            if let usage = try leaf.extensions.keyUsage, !usage.digitalSignature {
                throw FederationChainError(.unsuitable, "certificate '\(leaf.subject)' may not make digital signatures (key usage)")
            }
        } catch let error as FederationChainError {
            throw error
        } catch {
            throw FederationChainError(.unsuitable, "certificate '\(leaf.subject)' has a malformed extension: \(error)")
        }
        return leaf
    }

    private func checkCA(at time: Date) throws(FederationChainError) {
        let ca = caCertificate
        guard ca.notValidBefore <= time, time <= ca.notValidAfter else {
            throw FederationChainError(.notValidAtTime, "the federation CA '\(ca.subject)' is valid from \(ca.notValidBefore) to \(ca.notValidAfter), not at \(time)")
        }
        do {
            guard case .isCertificateAuthority = try ca.extensions.basicConstraints else {
                throw FederationChainError(.unsuitable, "the federation CA certificate '\(ca.subject)' is not marked as a CA (basic constraints)")
            }
            if let usage = try ca.extensions.keyUsage, !usage.keyCertSign {
                throw FederationChainError(.unsuitable, "the federation CA certificate '\(ca.subject)' may not sign certificates (key usage)")
            }
        } catch let error as FederationChainError {
            throw error
        } catch {
            throw FederationChainError(.unsuitable, "the federation CA certificate '\(ca.subject)' has a malformed extension: \(error)")
        }
    }
}

/// A certificate chain that does not lead to the federation CA at the time asked about.
public struct FederationChainError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Not signed by the federation CA (another federation, or forged).
        case untrusted
        /// Expired or not yet valid.
        case notValidAtTime
        /// Trusted, but not a certificate that may sign for a node.
        case unsuitable
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
