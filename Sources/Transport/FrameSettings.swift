/// Limits and choices of the frame layer (docs/ARCHITECTURE.md, "Transport").
public struct FrameSettings: Sendable, Equatable {
    /// The largest payload a frame may carry on the wire (after compression). A peer that
    /// announces a longer frame is disconnected before any of it is buffered.
    public var frameSizeMaxBytes: Int = 16 * 1024 * 1024

    /// The largest payload a compressed frame may expand to. Checked against the size in the
    /// LZ4 frame header before allocating, so a decompression bomb costs nothing.
    public var decompressedSizeMaxBytes: Int = 64 * 1024 * 1024

    /// Payloads of at least this many bytes are compressed, unless compression does not
    /// shrink them. Smaller ones rarely shrink enough to pay for the LZ4 frame header.
    public var compressionThresholdBytes: Int = 512

    public init() {}

    public init(frameSizeMaxBytes: Int, decompressedSizeMaxBytes: Int, compressionThresholdBytes: Int) {
        precondition(frameSizeMaxBytes > 0 && frameSizeMaxBytes <= Int(UInt32.max), "frameSizeMaxBytes must fit in a u32 length")
        precondition(decompressedSizeMaxBytes > 0, "decompressedSizeMaxBytes must be positive")
        self.frameSizeMaxBytes = frameSizeMaxBytes
        self.decompressedSizeMaxBytes = decompressedSizeMaxBytes
        self.compressionThresholdBytes = compressionThresholdBytes
    }
}
