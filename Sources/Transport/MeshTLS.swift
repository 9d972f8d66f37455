import MeshCore
import NIOSSL
import SwiftASN1
import X509

/// Builds the TLS contexts of an endpoint: TLS 1.3 only, mutual, trusting only the
/// federation CA.
///
/// BoringSSL verifies the peer's chain to the CA and its validity period; hostname
/// verification is off because identity is checked after the handshake from the SAN URI
/// (``PeerIdentityHandler``), which is what the membership layer knows a peer by.
/// Every factory of swift-nio-ssl defaults to TLS 1.0 as the minimum (docs/ARCHITECTURE.md, "Transport"),
/// so both bounds are set explicitly.
public struct MeshTLS: Sendable {
    public let serverContext: NIOSSLContext
    public let clientContext: NIOSSLContext
    public let localIdentity: PeerIdentity

    public init(credential: Credential) throws {
        let chain = try NIOSSLCertificate(bytes: Self.der(credential.certificate), format: .der)
        let key = try NIOSSLPrivateKey(bytes: Self.der(credential.privateKey), format: .der)
        let ca = try NIOSSLCertificate(bytes: Self.der(credential.caCertificate), format: .der)
        localIdentity = try credential.identity

        var server = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: [.certificate(chain)],
            privateKey: .privateKey(key),
            trustRoots: .certificates([ca])
        )
        server.minimumTLSVersion = .tlsv13
        server.maximumTLSVersion = .tlsv13
        server.certificateVerification = .noHostnameVerification
        server.sendCANameList = true
        serverContext = try NIOSSLContext(configuration: server)

        var client = TLSConfiguration.makeClientConfiguration()
        client.minimumTLSVersion = .tlsv13
        client.maximumTLSVersion = .tlsv13
        client.certificateVerification = .noHostnameVerification
        client.trustRoots = .certificates([ca])
        client.certificateChain = [.certificate(chain)]
        client.privateKey = .privateKey(key)
        clientContext = try NIOSSLContext(configuration: client)
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func der(_ key: Certificate.PrivateKey) throws -> [UInt8] {
        try key.serializeAsPEM().derBytes
    }
}
