import Foundation
import MeshCore
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import Transport

@Suite struct FrameCodecTests {
    let settings = FrameSettings(frameSizeMaxBytes: 2048, decompressedSizeMaxBytes: 4096, compressionThresholdBytes: 64)

    func frame(_ payload: [UInt8], flags: UInt8 = 0, length: UInt32? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(length ?? UInt32(payload.count))
        buffer.writeInteger(flags)
        buffer.writeBytes(payload)
        return buffer
    }

    func compressedFrame(_ payload: [UInt8]) throws -> ByteBuffer {
        frame(try LZ4Frame.compress(payload), flags: FrameDecoder.compressedFlag)
    }

    @Test func decodesByteByByteAndBatched() throws {
        let text = LZ4FrameTests.text(bytes: 3000)
        let plain: [UInt8] = Array("hello".utf8)
        var batch = frame(plain)
        var second = try compressedFrame(text)
        batch.writeBuffer(&second)
        var empty = frame([])
        batch.writeBuffer(&empty)
        let settings = self.settings
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (frame(plain), [ByteBuffer(bytes: plain)]),
                (try compressedFrame(text), [ByteBuffer(bytes: text)]),
                (frame([]), [ByteBuffer()]),
                (batch, [ByteBuffer(bytes: plain), ByteBuffer(bytes: text), ByteBuffer()]),
            ],
            decoderFactory: { FrameDecoder(settings: settings) }
        )
    }

    @Test func acceptsExactlyTheMaximumLength() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(settings: settings)))
        let payload = [UInt8](repeating: 7, count: settings.frameSizeMaxBytes)
        try channel.writeInbound(frame(payload))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: payload))
        _ = try channel.finish()
    }

    @Test func refusesAnOversizedLengthBeforeThePayloadArrives() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(settings: settings)))
        var header = ByteBuffer()
        header.writeInteger(UInt32(settings.frameSizeMaxBytes + 1))
        header.writeInteger(UInt8(0))
        #expect {
            try channel.writeInbound(header)
        } throws: { error in
            (error as? FrameError)?.code == .oversized
        }
        var huge = ByteBuffer()
        huge.writeInteger(UInt32.max)
        huge.writeInteger(UInt8(0))
        let fresh = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(settings: settings)))
        #expect(throws: FrameError.self) { try fresh.writeInbound(huge) }
    }

    @Test func refusesReservedFlags() {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(settings: settings)))
        #expect {
            try channel.writeInbound(frame([1, 2, 3], flags: 0b10))
        } throws: { error in
            (error as? FrameError)?.code == .reservedFlags
        }
    }

    @Test func refusesAFrameCutOffByTheEndOfTheConnection() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(settings: settings)))
        var partial = frame(Array(repeating: 1, count: 100))
        partial.moveWriterIndex(to: 50)
        try channel.writeInbound(partial)
        #expect {
            try channel.finish()
        } throws: { error in
            (error as? FrameError)?.code == .truncated
        }
    }

    @Test func refusesTruncatedAndCorruptedLZ4() throws {
        let compressed = try LZ4Frame.compress(LZ4FrameTests.text(bytes: 3000))
        var badBlockSize = compressed
        badBlockSize[18] = 0x7F  // first block claims about 2 GiB, beyond the 64 KiB maximum
        var badMagic = compressed
        badMagic[1] = 0
        var trailing = compressed
        trailing.append(contentsOf: [1, 2, 3, 4])
        for payload in [Array(compressed.dropLast(5)), badMagic, badBlockSize, Array(compressed.prefix(3)), trailing] {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(settings: settings)))
            #expect {
                try channel.writeInbound(frame(payload, flags: FrameDecoder.compressedFlag))
            } throws: { error in
                (error as? FrameError)?.code == .undecompressable
            }
        }
    }

    @Test func refusesADecompressionBombBeforeAllocating() throws {
        // 1 GiB of zeros compresses to about 4 MiB; a few KiB of its frame already declare
        // the full size. The decoder must refuse from the header alone.
        let declared = 1 << 30
        let zeros = [UInt8](repeating: 0, count: 256 * 1024)
        var bomb = try LZ4Frame.compress(zeros)
        // Patch the content-size field (8 bytes after magic and FLG/BD) to claim 1 GiB and fix
        // the header checksum so that only the size check can refuse it.
        bomb.replaceSubrange(6..<14, with: withUnsafeBytes(of: UInt64(declared).littleEndian, Array.init))
        bomb[14] = LZ4FrameTests.headerChecksum(Array(bomb[4..<14]))
        let settings = FrameSettings(frameSizeMaxBytes: 1 << 20, decompressedSizeMaxBytes: 1 << 20, compressionThresholdBytes: 64)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(settings: settings)))
        #expect {
            try channel.writeInbound(frame(bomb, flags: FrameDecoder.compressedFlag))
        } throws: { error in
            guard let error = error as? FrameError else { return false }
            return error.code == .payloadTooLarge && error.message.contains("\(declared)")
        }
    }

    @Test func compressesAboveTheThresholdOnlyWhenItShrinks() throws {
        let statistics = FrameStatistics()
        let channel = EmbeddedChannel(handler: MessageToByteHandler(FrameEncoder(settings: settings, statistics: statistics)))
        let small = LZ4FrameTests.text(bytes: 63)
        let large = LZ4FrameTests.text(bytes: 2000)
        let noise = LZ4FrameTests.random(bytes: 2000, seed: 1)
        for payload in [small, large, noise] {
            try channel.writeOutbound(ByteBuffer(bytes: payload))
        }
        var out = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { out.writeBuffer(&part) }

        var decoded: [(flags: UInt8, payload: ByteBuffer)] = []
        var decoder = FrameDecoder(settings: settings)
        while out.readableBytes > 0 {
            let flags = out.getInteger(at: out.readerIndex + 4, as: UInt8.self)!
            decoded.append((flags, try #require(try decoder.decodeFrame(buffer: &out, allocator: ByteBufferAllocator()))))
        }
        #expect(decoded.map(\.flags) == [0, FrameDecoder.compressedFlag, 0])
        #expect(decoded.map(\.payload) == [small, large, noise].map { ByteBuffer(bytes: $0) })
        let snapshot = statistics.snapshot
        #expect(snapshot.framesSent == 3 && snapshot.framesSentCompressed == 1)
        #expect(snapshot.wireBytesSent < snapshot.payloadBytesSent)
        _ = try channel.finish()
    }

    @Test func refusesToSendAPayloadAboveTheMaximum() {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(FrameEncoder(settings: settings)))
        #expect(throws: FrameError.self) {
            try channel.writeOutbound(ByteBuffer(bytes: LZ4FrameTests.random(bytes: 5000, seed: 2)))
        }
    }

    @Test func envelopesSurviveTheWholeCodecChain() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(FrameDecoder(settings: settings)),
            MessageToByteHandler(FrameEncoder(settings: settings)),
            EnvelopeCodec(),
        ])
        var envelope = Envelope()
        envelope.kind = .echo
        envelope.direction = .request
        envelope.requestID = 42
        envelope.sender = "hospital-a"
        envelope.deadlineUnixMs = 1_800_000_000_000
        envelope.body = Data(LZ4FrameTests.text(bytes: 2000))
        try channel.writeOutbound(envelope)
        var wire = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { wire.writeBuffer(&part) }
        #expect(wire.getInteger(at: 4, as: UInt8.self) == FrameDecoder.compressedFlag)
        try channel.writeInbound(wire)
        #expect(try channel.readInbound(as: Envelope.self) == envelope)

        #expect {
            try channel.writeInbound(frame([0xFF, 0xFF, 0xFF]))
        } throws: { error in
            (error as? FrameError)?.code == .malformedEnvelope
        }
    }
}

extension LZ4FrameTests {
    /// The LZ4 frame header checksum: second byte of XXH32 of the descriptor, seed 0.
    static func headerChecksum(_ descriptor: [UInt8]) -> UInt8 {
        UInt8(truncatingIfNeeded: xxh32(descriptor, seed: 0) >> 8)
    }

    /// XXH32 (as specified by the xxHash project), used only to forge test frames.
    static func xxh32(_ input: [UInt8], seed: UInt32) -> UInt32 {
        let p1: UInt32 = 2_654_435_761, p2: UInt32 = 2_246_822_519, p3: UInt32 = 3_266_489_917
        let p4: UInt32 = 668_265_263, p5: UInt32 = 374_761_393
        func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
        func word(_ i: Int) -> UInt32 {
            UInt32(input[i]) | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2]) << 16 | UInt32(input[i + 3]) << 24
        }
        var index = 0
        var hash: UInt32
        if input.count >= 16 {
            var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
            while index + 16 <= input.count {
                v1 = rotl(v1 &+ word(index) &* p2, 13) &* p1
                v2 = rotl(v2 &+ word(index + 4) &* p2, 13) &* p1
                v3 = rotl(v3 &+ word(index + 8) &* p2, 13) &* p1
                v4 = rotl(v4 &+ word(index + 12) &* p2, 13) &* p1
                index += 16
            }
            hash = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            hash = seed &+ p5
        }
        hash = hash &+ UInt32(input.count)
        while index + 4 <= input.count {
            hash = rotl(hash &+ word(index) &* p3, 17) &* p4
            index += 4
        }
        while index < input.count {
            hash = rotl(hash &+ UInt32(input[index]) &* p5, 11) &* p1
            index += 1
        }
        hash ^= hash >> 15
        hash = hash &* p2
        hash ^= hash >> 13
        hash = hash &* p3
        hash ^= hash >> 16
        return hash
    }
}
