import Foundation
import MeshCore
import TestSupport
import Testing

@testable import Transport

@Suite struct LZ4FrameTests {
    static func text(bytes: Int) -> [UInt8] {
        var text = ""
        var row = 0
        while text.utf8.count < bytes {
            text += "C\(50 + row % 30),MR,SIEMENS,\(row % 97),\(row * 7 % 1000)\n"
            row += 1
        }
        return Array(text.utf8.prefix(bytes))
    }

    static func random(bytes: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededRandom(seed: seed)
        return (0..<bytes).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    @Test(arguments: [0, 1, 511, 4096, 65536, 65537, 1_000_000])
    func roundTrips(_ size: Int) throws {
        for input in [Self.text(bytes: size), Self.random(bytes: size, seed: UInt64(size))] {
            let frame = try LZ4Frame.compress(input)
            #expect(try LZ4Frame.decompress(frame, maximumDecompressedBytes: max(size, 1)) == input)
        }
    }

    @Test func refusesADeclaredSizeAboveTheMaximumBeforeDecoding() throws {
        let frame = try LZ4Frame.compress(Self.text(bytes: 10_000))
        #expect {
            try LZ4Frame.decompress(frame, maximumDecompressedBytes: 9_999)
        } throws: { error in
            (error as? LZ4FrameError)?.code == .tooLarge
        }
    }

    @Test func refusesTruncatedAndCorruptFrames() throws {
        let frame = try LZ4Frame.compress(Self.text(bytes: 10_000))
        for cut in [1, 4, 10, frame.count / 2, frame.count - 1] {
            #expect(throws: LZ4FrameError.self) {
                try LZ4Frame.decompress(Array(frame.prefix(cut)), maximumDecompressedBytes: 1 << 20)
            }
        }
        var badMagic = frame
        badMagic[0] ^= 0xFF
        #expect(throws: LZ4FrameError.self) { try LZ4Frame.decompress(badMagic, maximumDecompressedBytes: 1 << 20) }
        var badHeaderChecksum = frame
        badHeaderChecksum[14] ^= 0x55
        #expect(throws: LZ4FrameError.self) { try LZ4Frame.decompress(badHeaderChecksum, maximumDecompressedBytes: 1 << 20) }
        #expect(throws: LZ4FrameError.self) { try LZ4Frame.decompress(frame + [0], maximumDecompressedBytes: 1 << 20) }
    }

    @Test func lz4CommandLineToolReadsOurFrames() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = Self.text(bytes: 200_000)
        try Data(try LZ4Frame.compress(input)).write(to: URL(fileURLWithPath: directory.file("ours.lz4")))
        let result = try ProcessRunner.run("lz4", ["-d", "-f", directory.file("ours.lz4"), directory.file("ours.out")])
        #expect(result.status == 0, "\(result.combinedOutput)")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: directory.file("ours.out")))) == input)
    }

    @Test func weReadFramesOfTheLZ4CommandLineTool() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = Self.text(bytes: 300_000)
        try Data(input).write(to: URL(fileURLWithPath: directory.file("plain")))
        for level in ["-1", "-9"] {
            let result = try ProcessRunner.run(
                "lz4",
                [level, "--content-size", "-f", directory.file("plain"), directory.file("theirs.lz4")]
            )
            #expect(result.status == 0, "\(result.combinedOutput)")
            let frame = try Array(Data(contentsOf: URL(fileURLWithPath: directory.file("theirs.lz4"))))
            #expect(try LZ4Frame.decompress(frame, maximumDecompressedBytes: 1 << 20) == input)
        }
        // Without --content-size the frame cannot be size-checked before allocating: refused.
        _ = try ProcessRunner.run("lz4", ["-f", directory.file("plain"), directory.file("nosize.lz4")])
        let frame = try Array(Data(contentsOf: URL(fileURLWithPath: directory.file("nosize.lz4"))))
        #expect {
            try LZ4Frame.decompress(frame, maximumDecompressedBytes: 1 << 20)
        } throws: { error in
            (error as? LZ4FrameError)?.code == .missingContentSize
        }
    }
}
