import Crypto
import Foundation
import SwiftASN1
import X509

/// Reads and writes PEM certificates and keys, with errors that name the file.
public enum PEMLoader {
    public static func certificate(at path: String) throws(PKIError) -> Certificate {
        let text = try SecureFile.read(path)
        do {
            return try Certificate(pemEncoded: text)
        } catch {
            throw PKIError(.malformedPEM, "'\(path)' is not a PEM certificate: \(error)")
        }
    }

    /// All certificates in a PEM file, in order (a chain or a bundle of roots).
    public static func certificates(at path: String) throws(PKIError) -> [Certificate] {
        let text = try SecureFile.read(path)
        do {
            let documents = try PEMDocument.parseMultiple(pemString: text)
            guard !documents.isEmpty else {
                throw PKIError(.malformedPEM, "'\(path)' holds no PEM certificate")
            }
            return try documents.map { try Certificate(pemDocument: $0) }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.malformedPEM, "'\(path)' is not a PEM certificate file: \(error)")
        }
    }

    /// A P-256 private key in SEC1 (`EC PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`) PEM.
    public static func privateKey(at path: String) throws(PKIError) -> Certificate.PrivateKey {
        let text = try SecureFile.read(path)
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: text)
        } catch {
            throw PKIError(.malformedPEM, "'\(path)' is not a PEM private key: \(error)")
        }
        guard P256.Signing.PublicKey(key.publicKey) != nil else {
            throw PKIError(.unsupportedKey, "'\(path)' is not an ECDSA P-256 key; the federation uses P-256 only")
        }
        return key
    }

    static func pem(_ certificate: Certificate) throws(PKIError) -> String {
        do {
            return try certificate.serializeAsPEM().pemString + "\n"
        } catch {
            throw PKIError(.signingFailed, "cannot encode a certificate as PEM: \(error)")
        }
    }

    static func pem(_ key: Certificate.PrivateKey) throws(PKIError) -> String {
        do {
            return try key.serializeAsPEM().pemString + "\n"
        } catch {
            throw PKIError(.unsupportedKey, "cannot encode a private key as PEM: \(error)")
        }
    }
}
