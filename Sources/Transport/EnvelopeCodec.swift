import NIOCore
import SwiftProtobuf

/// Turns frame payloads into ``Envelope``s and back. A payload that is not a valid Envelope
/// is a protocol violation: the error closes the connection.
public final class EnvelopeCodec: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = Envelope
    public typealias OutboundIn = Envelope
    public typealias OutboundOut = ByteBuffer

    /// Where each envelope is counted by kind and direction; nil counts nothing.
    private let statistics: MessageStatistics?

    public init(statistics: MessageStatistics? = nil) {
        self.statistics = statistics
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = Self.unwrapInboundIn(data)
        do {
            let envelope = try Envelope(serializedBytes: Array(payload.readableBytesView))
            statistics?.record(envelope.kind, .received, bytes: payload.readableBytes)
            context.fireChannelRead(Self.wrapInboundOut(envelope))
        } catch {
            context.fireErrorCaught(FrameError(.malformedEnvelope, "frame payload is not a valid Envelope: \(error)"))
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let envelope = Self.unwrapOutboundIn(data)
        do {
            let bytes: [UInt8] = try envelope.serializedBytes()
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            statistics?.record(envelope.kind, .sent, bytes: bytes.count)
            context.write(Self.wrapOutboundOut(buffer), promise: promise)
        } catch {
            promise?.fail(error)
        }
    }
}
