import Logging
import MeshCore
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// Sits right after the TLS handler. When the handshake completes it reads the identity
/// from the peer certificate's SAN URI (BoringSSL has already verified the chain to the
/// federation CA and the validity period) and checks it against what this side accepts:
/// the roles allowed on this connection, the revocation list in force and, when dialing,
/// the node ID that was dialed.
///
/// On success it fires ``PeerAuthenticatedEvent`` down the pipeline; on failure (including
/// a failed handshake: no client certificate, another CA, expired, TLS 1.2) it reports the
/// reason, logs it and closes the connection. Nothing is read from the peer before the
/// identity is accepted.
final class PeerIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    struct Expectation: Sendable {
        var allowedRoles: Set<PeerIdentity.Role>
        /// When dialing: the node the caller meant to reach (nil accepts any node).
        var expectedNode: NodeID?
    }

    private let expectation: Expectation
    private let logger: Logger
    private let onRefused: @Sendable (String) -> Void
    /// The revocation list in force when the handshake completes.
    private let revocations: @Sendable () -> RevocationList
    private var authenticated: PeerIdentity?
    private var refused = false
    /// Called once the identity is accepted (the shell cancels its handshake timer).
    var onAuthenticated: (() -> Void)?

    init(
        expectation: Expectation,
        logger: Logger,
        revocations: @escaping @Sendable () -> RevocationList,
        onRefused: @escaping @Sendable (String) -> Void
    ) {
        self.expectation = expectation
        self.logger = logger
        self.revocations = revocations
        self.onRefused = onRefused
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        context.fireUserInboundEventTriggered(event)
        do {
            let (identity, serial) = try identify(context: context)
            authenticated = identity
            onAuthenticated?()
            let version = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self).tlsVersion
            context.fireUserInboundEventTriggered(
                PeerAuthenticatedEvent(identity: identity, tlsVersion: version.map(Self.describe(version:)) ?? "unknown", serial: serial)
            )
        } catch {
            refuse(context: context, reason: error.description)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard authenticated != nil else { return }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if authenticated == nil {
            refuse(context: context, reason: "TLS handshake failed: \(Self.describe(error))")
        } else {
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if authenticated == nil, !refused {
            refuse(context: context, reason: "connection closed before the TLS handshake completed")
        }
        context.fireChannelInactive()
    }

    private func refuse(context: ChannelHandlerContext, reason: String) {
        guard !refused else { return }
        refused = true
        logger.warning(
            "refused connection",
            metadata: ["peer.address": "\(context.remoteAddress.map { "\($0)" } ?? "unknown")", "reason": "\(reason)"]
        )
        onRefused(reason)
        context.close(promise: nil)
    }

    private func identify(context: ChannelHandlerContext) throws(PKIError) -> (PeerIdentity, Certificate.SerialNumber) {
        let peerCertificate: NIOSSLCertificate?
        do {
            peerCertificate = try context.pipeline.syncOperations.handler(type: NIOSSLHandler.self).peerCertificate
        } catch {
            throw PKIError(.invalidIdentity, "no TLS handler in the pipeline")
        }
        guard let peerCertificate else {
            throw PKIError(.invalidIdentity, "peer presented no certificate")
        }
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: peerCertificate.toDERBytes())
        } catch {
            throw PKIError(.invalidIdentity, "peer certificate cannot be parsed: \(error)")
        }
        let identity = try CertificateIdentity.identity(of: certificate)
        let list = revocations()
        if list.contains(certificate.serialNumber) {
            throw PKIError(.invalidIdentity, "the certificate of \(identity) (serial \(certificate.serialNumber)) is revoked (revocation list version \(list.version))")
        }
        guard expectation.allowedRoles.contains(identity.role) else {
            throw PKIError(.invalidIdentity, "\(identity) may not open this kind of connection (allowed: \(expectation.allowedRoles.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        if let expected = expectation.expectedNode, identity != .node(expected) {
            throw PKIError(.invalidIdentity, "dialed node \(expected) but the peer is \(identity)")
        }
        return (identity, certificate.serialNumber)
    }

    static func describe(version: TLSVersion) -> String {
        switch version {
        case .tlsv13: "TLS 1.3"
        case .tlsv12: "TLS 1.2"
        case .tlsv11: "TLS 1.1"
        case .tlsv1: "TLS 1.0"
        }
    }

    static func describe(_ error: any Error) -> String {
        if let ssl = error as? NIOSSLError, case .handshakeFailed(let inner) = ssl {
            return "\(inner)"
        }
        return "\(error)"
    }
}

/// Fired down the pipeline once the peer's identity has been accepted.
struct PeerAuthenticatedEvent: Sendable {
    let identity: PeerIdentity
    let tlsVersion: String
    /// The serial of the peer's certificate, to close the connection if it is revoked later.
    let serial: Certificate.SerialNumber
}
