import CLZ4

/// One standard LZ4 frame (the LZ4F format that `lz4 -d` reads), with the content size in
/// the frame header so that a receiver can refuse an oversized payload before allocating.
public enum LZ4Frame {
    /// The most bytes that compressing `inputBytes` can produce.
    public static func compressedSizeBound(_ inputBytes: Int) -> Int {
        var preferences = makePreferences(contentSize: inputBytes)
        return LZ4F_compressFrameBound(inputBytes, &preferences)
    }

    /// Compresses `input` into `destination`, which must hold ``compressedSizeBound(_:)``
    /// bytes; returns the number of bytes written.
    public static func compress(
        _ input: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer
    ) throws(LZ4FrameError) -> Int {
        var preferences = makePreferences(contentSize: input.count)
        let written = LZ4F_compressFrame(destination.baseAddress, destination.count, input.baseAddress, input.count, &preferences)
        if LZ4F_isError(written) != 0 {
            throw LZ4FrameError(.compressionFailed, "LZ4 compression failed: \(String(cString: LZ4F_getErrorName(written)))")
        }
        return written
    }

    /// Compresses `input` into a new array.
    public static func compress(_ input: [UInt8]) throws(LZ4FrameError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: compressedSizeBound(input.count))
        var result: Result<Int, LZ4FrameError> = .success(0)
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                do throws(LZ4FrameError) {
                    result = .success(try compress(source, into: destination))
                } catch {
                    result = .failure(error)
                }
            }
        }
        let written = try result.get()
        output.removeLast(output.count - written)
        return output
    }

    /// Decompresses one frame into a new array (see ``LZ4FrameDecompressor``).
    public static func decompress(_ frame: [UInt8], maximumDecompressedBytes: Int) throws(LZ4FrameError) -> [UInt8] {
        let decompressor = try LZ4FrameDecompressor()
        var result: Result<[UInt8], LZ4FrameError> = .success([])
        frame.withUnsafeBytes { source in
            do throws(LZ4FrameError) {
                let header = try decompressor.readHeader(source, maximumDecompressedBytes: maximumDecompressedBytes)
                var output = [UInt8](repeating: 0, count: header.contentBytes)
                var failure: LZ4FrameError?
                output.withUnsafeMutableBytes { destination in
                    do throws(LZ4FrameError) {
                        try decompressor.decompress(source, header: header, into: destination)
                    } catch {
                        failure = error
                    }
                }
                if let failure { throw failure }
                result = .success(output)
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    private static func makePreferences(contentSize: Int) -> LZ4F_preferences_t {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.contentSize = UInt64(contentSize)
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.compressionLevel = 0
        return preferences
    }
}

/// Decompresses LZ4 frames with a reusable `LZ4F_dctx` (one per connection).
///
/// A frame is accepted only if it declares its content size, that size is at most the
/// caller's maximum (checked before the caller allocates, so a decompression bomb costs
/// nothing), it produces exactly that many bytes, and nothing follows it.
public final class LZ4FrameDecompressor {
    public struct Header: Sendable {
        public let contentBytes: Int
        public let headerBytes: Int
    }

    private let context: OpaquePointer

    public init() throws(LZ4FrameError) {
        var context: OpaquePointer?
        let status = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(status) == 0, let context else {
            throw LZ4FrameError(.corrupt, "cannot create an LZ4 decompression context")
        }
        self.context = context
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    /// Parses the frame header and checks the declared content size against the maximum.
    public func readHeader(_ frame: UnsafeRawBufferPointer, maximumDecompressedBytes: Int) throws(LZ4FrameError) -> Header {
        LZ4F_resetDecompressionContext(context)
        guard frame.count > 0 else {
            throw LZ4FrameError(.truncated, "LZ4 frame is empty")
        }
        var info = LZ4F_frameInfo_t()
        var headerBytes = frame.count
        let status = LZ4F_getFrameInfo(context, &info, frame.baseAddress, &headerBytes)
        if LZ4F_isError(status) != 0 {
            let name = String(cString: LZ4F_getErrorName(status))
            let code: LZ4FrameError.Code = name.contains("incomplete") || name.contains("srcSize") ? .truncated : .corrupt
            throw LZ4FrameError(code, "LZ4 frame header is invalid: \(name)")
        }
        // An empty payload has no content-size field (LZ4F writes 0 as "unknown"): accept it
        // only as a header followed by the 4-byte end mark.
        guard info.contentSize > 0 || frame.count == headerBytes + 4 else {
            throw LZ4FrameError(.missingContentSize, "LZ4 frame does not declare its content size, which OncoMesh requires")
        }
        guard info.contentSize <= UInt64(maximumDecompressedBytes) else {
            throw LZ4FrameError(
                .tooLarge,
                "LZ4 frame declares \(info.contentSize) decompressed bytes, more than the maximum of \(maximumDecompressedBytes)"
            )
        }
        return Header(contentBytes: Int(info.contentSize), headerBytes: headerBytes)
    }

    /// Decompresses the frame whose header ``readHeader(_:maximumDecompressedBytes:)``
    /// returned into `destination`, which holds exactly `header.contentBytes` bytes.
    public func decompress(
        _ frame: UnsafeRawBufferPointer,
        header: Header,
        into destination: UnsafeMutableRawBufferPointer
    ) throws(LZ4FrameError) {
        precondition(destination.count == header.contentBytes)
        var consumed = header.headerBytes
        var produced = 0
        var hint = 1
        while hint != 0 {
            var sourceSize = frame.count - consumed
            var destinationSize = header.contentBytes - produced
            if sourceSize == 0 {
                throw LZ4FrameError(
                    .truncated,
                    "LZ4 frame is truncated after \(frame.count) bytes (\(produced) of \(header.contentBytes) bytes decoded)"
                )
            }
            let status = LZ4F_decompress(
                context,
                destination.baseAddress.map { $0 + produced },
                &destinationSize,
                frame.baseAddress! + consumed,
                &sourceSize,
                nil
            )
            if LZ4F_isError(status) != 0 {
                throw LZ4FrameError(.corrupt, "LZ4 frame is corrupt: \(String(cString: LZ4F_getErrorName(status)))")
            }
            consumed += sourceSize
            produced += destinationSize
            hint = status
            if hint != 0, sourceSize == 0, destinationSize == 0 {
                throw LZ4FrameError(.corrupt, "LZ4 frame decodes to more than its declared \(header.contentBytes) bytes")
            }
        }
        guard produced == header.contentBytes else {
            throw LZ4FrameError(.corrupt, "LZ4 frame decoded to \(produced) bytes but declares \(header.contentBytes)")
        }
        guard consumed == frame.count else {
            throw LZ4FrameError(.corrupt, "\(frame.count - consumed) bytes follow the LZ4 frame; exactly one frame is allowed")
        }
    }
}

/// Why an LZ4 frame could not be made or read.
public struct LZ4FrameError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case compressionFailed
        case truncated
        case corrupt
        case tooLarge
        case missingContentSize
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
