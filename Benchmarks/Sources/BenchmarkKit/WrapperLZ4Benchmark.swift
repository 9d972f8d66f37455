import Transport

/// Measures OncoMesh's own LZ4 wrapper: ``LZ4Frame/compress(_:into:)`` and
/// ``LZ4FrameDecompressor``, the two calls the frame codec makes per compressed payload.
///
/// The input is cut into messages of `messageBytes` (or kept whole), and each message becomes
/// one LZ4 frame, as the transport does with each payload. Buffers are allocated once up
/// front, so a pass measures the codec calls and nothing else: no allocation, no copying.
public final class WrapperLZ4Benchmark {
    private struct Message {
        let source: UnsafeRawBufferPointer
        let frame: UnsafeMutableRawBufferPointer
        let restored: UnsafeMutableRawBufferPointer
        var frameBytes = 0
    }

    private let input: UnsafeMutableRawBufferPointer
    private let frames: UnsafeMutableRawBufferPointer
    private let restored: UnsafeMutableRawBufferPointer
    private var messages: [Message] = []
    private let decompressor: LZ4FrameDecompressor

    /// - Parameter messageBytes: the size of each compressed message; nil compresses the
    ///   whole input as one frame (of 64 KiB blocks, the wrapper's block size).
    public init(input bytes: [UInt8], messageBytes: Int? = nil) throws {
        precondition(!bytes.isEmpty, "the benchmark input is empty")
        let messageBytes = messageBytes ?? bytes.count
        precondition(messageBytes > 0)
        input = .allocate(byteCount: bytes.count, alignment: 64)
        input.copyBytes(from: bytes)
        restored = .allocate(byteCount: bytes.count, alignment: 64)

        var ranges: [Range<Int>] = []
        var start = 0
        while start < bytes.count {
            ranges.append(start..<min(start + messageBytes, bytes.count))
            start += messageBytes
        }
        let bounds = ranges.map { LZ4Frame.compressedSizeBound($0.count) }
        frames = .allocate(byteCount: bounds.reduce(0, +), alignment: 64)
        var frameStart = 0
        for (range, bound) in zip(ranges, bounds) {
            messages.append(
                Message(
                    source: UnsafeRawBufferPointer(rebasing: input[range]),
                    frame: UnsafeMutableRawBufferPointer(rebasing: frames[frameStart..<frameStart + bound]),
                    restored: UnsafeMutableRawBufferPointer(rebasing: restored[range])
                )
            )
            frameStart += bound
        }
        decompressor = try LZ4FrameDecompressor()
        try compressAll()
        try decompressAll()
        guard restored.elementsEqual(input) else {
            throw BenchmarkError("LZ4 round trip of the benchmark input did not reproduce it")
        }
    }

    deinit {
        input.deallocate()
        frames.deallocate()
        restored.deallocate()
    }

    /// Total size of all frames, headers and end marks included.
    public var compressedBytes: Int { messages.reduce(0) { $0 + $1.frameBytes } }

    /// Times compression and then decompression of the whole input with `timer`.
    public func run(timer: FastestLoopTimer) throws -> LZ4Throughput {
        let compress = try timer.fastestPass { try compressAll() }
        let decompress = try timer.fastestPass { try decompressAll() }
        let megabytes = Double(input.count) / 1e6
        return LZ4Throughput(
            inputBytes: input.count,
            compressedBytes: compressedBytes,
            compressMBPerSecond: megabytes / compress.inSeconds,
            decompressMBPerSecond: megabytes / decompress.inSeconds
        )
    }

    private func compressAll() throws {
        for index in messages.indices {
            let message = messages[index]
            messages[index].frameBytes = try LZ4Frame.compress(message.source, into: message.frame)
        }
    }

    private func decompressAll() throws {
        for message in messages {
            let frame = UnsafeRawBufferPointer(rebasing: message.frame[0..<message.frameBytes])
            let header = try decompressor.readHeader(frame, maximumDecompressedBytes: message.restored.count)
            try decompressor.decompress(frame, header: header, into: message.restored)
        }
    }
}
