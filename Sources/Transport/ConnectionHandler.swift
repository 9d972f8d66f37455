import MeshCore
import NIOCore
import X509

/// The last handler of every connection: hands authenticated identities, envelopes,
/// writability changes and the end of the connection to the ``MeshTransport`` that owns it.
/// Runs on the transport's event loop, like everything the transport does.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Envelope

    private let transport: MeshTransport
    let id: ConnectionID
    let dialedLocally: Bool
    private var identity: PeerIdentity?
    private var closeReason: String?
    /// The serial of the peer's certificate once authenticated.
    private(set) var peerSerial: Certificate.SerialNumber?

    init(transport: MeshTransport, id: ConnectionID, dialedLocally: Bool) {
        self.transport = transport
        self.id = id
        self.dialedLocally = dialedLocally
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let authenticated as PeerAuthenticatedEvent:
            identity = authenticated.identity
            peerSerial = authenticated.serial
            transport.connectionAuthenticated(self, channel: context.channel, event: authenticated)
        case let idle as IdleStateHandler.IdleStateEvent where idle == .all:
            closeReason = "idle"
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let identity else { return }
        transport.received(Self.unwrapInboundIn(data), from: identity, on: self)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let identity {
            transport.writabilityChanged(self, identity: identity, isWritable: context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if closeReason == nil {
            closeReason = "\(error)"
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        transport.connectionClosed(self, identity: identity, reason: closeReason ?? "closed by peer")
        context.fireChannelInactive()
    }

    func markClosing(reason: String) {
        if closeReason == nil { closeReason = reason }
    }
}
