import NIOCore

/// Writes payloads as frames (see ``FrameDecoder`` for the layout), compressing those of at
/// least `compressionThresholdBytes` into one LZ4 frame when that makes them smaller.
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    private let settings: FrameSettings
    private let statistics: FrameStatistics?

    public init(settings: FrameSettings = FrameSettings(), statistics: FrameStatistics? = nil) {
        self.settings = settings
        self.statistics = statistics
    }

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        let payloadBytes = data.readableBytes
        guard payloadBytes <= settings.decompressedSizeMaxBytes else {
            throw FrameError(
                .payloadTooLarge,
                "payload of \(payloadBytes) bytes exceeds the maximum of \(settings.decompressedSizeMaxBytes) bytes"
            )
        }
        if payloadBytes >= settings.compressionThresholdBytes, try encodeCompressed(data, out: &out) {
            return
        }
        guard payloadBytes <= settings.frameSizeMaxBytes else {
            throw FrameError(.oversized, "payload of \(payloadBytes) bytes exceeds the frame maximum of \(settings.frameSizeMaxBytes) bytes")
        }
        out.reserveCapacity(minimumWritableBytes: FrameDecoder.headerBytes + payloadBytes)
        out.writeInteger(UInt32(payloadBytes))
        out.writeInteger(UInt8(0))
        out.writeImmutableBuffer(data)
        statistics?.recordSent(payloadBytes: payloadBytes, wireBytes: FrameDecoder.headerBytes + payloadBytes, compressed: false)
    }

    /// Writes a compressed frame; returns false (and writes nothing) when compression does
    /// not shrink the payload or would not fit in a frame.
    private func encodeCompressed(_ data: ByteBuffer, out: inout ByteBuffer) throws -> Bool {
        let payloadBytes = data.readableBytes
        let bound = LZ4Frame.compressedSizeBound(payloadBytes)
        let start = out.writerIndex
        out.reserveCapacity(minimumWritableBytes: FrameDecoder.headerBytes + bound)
        out.writeInteger(UInt32(0))
        out.writeInteger(FrameDecoder.compressedFlag)
        let written = try out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
            try data.withUnsafeReadableBytes { source in
                try LZ4Frame.compress(source, into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<bound]))
            }
        }
        guard written < payloadBytes, written <= settings.frameSizeMaxBytes else {
            out.moveWriterIndex(to: start)
            return false
        }
        out.setInteger(UInt32(written), at: start)
        statistics?.recordSent(payloadBytes: payloadBytes, wireBytes: FrameDecoder.headerBytes + written, compressed: true)
        return true
    }
}
