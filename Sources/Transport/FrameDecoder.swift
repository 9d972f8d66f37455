import NIOCore

/// Splits the byte stream into frames and decompresses their payloads.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 payload length (u32, big-endian)              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  flags (u8)   |  payload (length bytes) ...                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// flags bit 0: the payload is one LZ4 frame (LZ4F, content size in its header)
/// flags bits 1-7: reserved, must be 0
/// ```
///
/// The length counts the payload only. A length above `frameSizeMaxBytes` is refused as soon
/// as the 5-byte header arrives, before any payload is buffered; a compressed payload whose
/// declared size exceeds `decompressedSizeMaxBytes` is refused before allocating for it.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public static let headerBytes = 5
    public static let compressedFlag: UInt8 = 0b0000_0001

    private let settings: FrameSettings
    private let statistics: FrameStatistics?
    private let decompressor: LZ4FrameDecompressor

    public init(settings: FrameSettings = FrameSettings(), statistics: FrameStatistics? = nil) {
        self.settings = settings
        self.statistics = statistics
        do {
            self.decompressor = try LZ4FrameDecompressor()
        } catch {
            fatalError("cannot create an LZ4 decompression context: \(error)")
        }
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let payload = try decodeFrame(buffer: &buffer, allocator: context.channel.allocator) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(payload))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if seenEOF, buffer.readableBytes > 0 {
            throw FrameError(.truncated, "connection closed in the middle of a frame (\(buffer.readableBytes) bytes of an incomplete frame)")
        }
        return .needMoreData
    }

    /// Decodes one frame if a whole one is buffered.
    mutating func decodeFrame(buffer: inout ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer? {
        guard buffer.readableBytes >= Self.headerBytes,
            let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let flags = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self)
        else {
            return nil
        }
        guard UInt64(length) <= UInt64(settings.frameSizeMaxBytes) else {
            throw FrameError(.oversized, "frame of \(length) bytes exceeds the maximum of \(settings.frameSizeMaxBytes) bytes")
        }
        guard flags & ~Self.compressedFlag == 0 else {
            throw FrameError(.reservedFlags, "frame flags 0x\(String(flags, radix: 16)) set reserved bits")
        }
        guard buffer.readableBytes >= Self.headerBytes + Int(length) else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: Self.headerBytes)
        let wire = buffer.readSlice(length: Int(length))!
        guard flags & Self.compressedFlag != 0 else {
            statistics?.recordReceived(payloadBytes: wire.readableBytes, wireBytes: wire.readableBytes + Self.headerBytes, compressed: false)
            return wire
        }
        let payload = try decompress(wire, allocator: allocator)
        statistics?.recordReceived(payloadBytes: payload.readableBytes, wireBytes: wire.readableBytes + Self.headerBytes, compressed: true)
        return payload
    }

    private func decompress(_ wire: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        do {
            return try wire.withUnsafeReadableBytes { source in
                let header = try decompressor.readHeader(source, maximumDecompressedBytes: settings.decompressedSizeMaxBytes)
                var output = allocator.buffer(capacity: header.contentBytes)
                try output.writeWithUnsafeMutableBytes(minimumWritableBytes: header.contentBytes) { destination in
                    try decompressor.decompress(
                        source,
                        header: header,
                        into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<header.contentBytes])
                    )
                    return header.contentBytes
                }
                return output
            }
        } catch let error as LZ4FrameError {
            let code: FrameError.Code = error.code == .tooLarge ? .payloadTooLarge : .undecompressable
            throw FrameError(code, "compressed frame refused: \(error.message)")
        }
    }
}
