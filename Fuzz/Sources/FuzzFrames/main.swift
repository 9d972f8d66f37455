import CFuzzerDriver
import NIOCore
import NIOEmbedded
import Transport

/// Bytes as a peer's TLS stream would deliver them, through the node's own inbound
/// pipeline: the frame decoder (length, flags, LZ4 with its size limits) and the envelope
/// decoder. Refusals are errors; a crash, a hang or an allocation past the limits is a bug.
func fuzzFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let channel = EmbeddedChannel()
    var settings = FrameSettings()
    // Small limits so that the fuzzer reaches them with small inputs.
    settings = FrameSettings(frameSizeMaxBytes: 64 * 1024, decompressedSizeMaxBytes: 256 * 1024, compressionThresholdBytes: settings.compressionThresholdBytes)
    do {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(settings: settings)))
        try channel.pipeline.syncOperations.addHandler(EnvelopeCodec())
        var buffer = channel.allocator.buffer(capacity: size)
        buffer.writeBytes(UnsafeBufferPointer(start: data, count: size))
        try channel.writeInbound(buffer)
        while let _ = try channel.readInbound(as: Envelope.self) {}
    } catch {
        // A refused frame: what the node does with it is to close the connection.
    }
    _ = try? channel.finish()
    return 0
}

/// The executable's entry point: libFuzzer's driver over ``fuzzFrames``.
@_cdecl("FuzzFrames_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzFrames(data, size) }
}
