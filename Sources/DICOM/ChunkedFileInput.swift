import Foundation

/// Reads a file front to back in chunks of a fixed size, so that a header reader holds at most
/// one chunk in memory however large the file (multi-frame studies run to gigabytes of pixel
/// data). Skipping past the buffered chunk seeks instead of reading, and `bytesRead` counts
/// what was actually taken from the file.
struct ChunkedFileInput {
    struct EndOfFile: Error {}

    let fileSize: Int
    let chunkSize: Int
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    /// File offset of `buffer[0]`.
    private var bufferStart = 0
    private var cursor = 0
    private(set) var bytesRead = 0

    init(path: String, chunkSize: Int) throws {
        precondition(chunkSize >= 16, "chunks must hold an element header")
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        self.handle = handle
        self.fileSize = (attributes[.size] as? NSNumber)?.intValue ?? 0
        self.chunkSize = chunkSize
    }

    func close() {
        try? handle.close()
    }

    /// The file offset of the next byte.
    var offset: Int { bufferStart + cursor }
    var remaining: Int { fileSize - offset }

    /// The next `count` bytes; `count` is a header's or a small value's size, never a
    /// length taken from the file unchecked.
    mutating func read(_ count: Int) throws -> [UInt8] {
        let bytes = try peek(count)
        cursor += count
        return bytes
    }

    /// The next `count` bytes without consuming them.
    mutating func peek(_ count: Int) throws -> [UInt8] {
        try buffer(atLeast: count)
        return Array(buffer[cursor..<(cursor + count)])
    }

    mutating func skip(_ count: Int) throws {
        guard count <= remaining else { throw EndOfFile() }
        let target = offset + count
        if target <= bufferStart + buffer.count {
            cursor = target - bufferStart
        } else {
            try handle.seek(toOffset: UInt64(target))
            bufferStart = target
            buffer = []
            cursor = 0
        }
    }

    /// Reads chunks until `count` unconsumed bytes are buffered. The handle always stands at
    /// `bufferStart + buffer.count`, so chunks follow each other without seeking.
    private mutating func buffer(atLeast count: Int) throws {
        guard count <= remaining else { throw EndOfFile() }
        guard buffer.count - cursor < count else { return }
        buffer.removeFirst(cursor)
        bufferStart += cursor
        cursor = 0
        while buffer.count < count {
            let chunk = try handle.read(upToCount: chunkSize) ?? Data()
            guard !chunk.isEmpty else { throw EndOfFile() }
            bytesRead += chunk.count
            buffer.append(contentsOf: chunk)
        }
    }
}
