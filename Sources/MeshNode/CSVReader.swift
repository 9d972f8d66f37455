import Foundation

/// Reads CSV (RFC 4180: comma-separated, optional double quotes with "" for a quote,
/// LF or CRLF line ends) record by record, keeping the line number of each record so that
/// errors can name it.
///
/// Two ways to read: ``next()`` gives each record's fields as Strings; ``nextRecord(into:)``
/// gives where each field's bytes are in ``bytes``, for a reader that checks a million rows
/// and should not make a String of every field. Quoted fields are unescaped in place, so a
/// field is always one contiguous run of bytes.
struct CSVReader {
    struct Record {
        /// 1-based line where the record starts.
        let line: Int
        let fields: [String]
    }

    struct SyntaxError: Error {
        let line: Int
        let message: String
    }

    /// Where one field of the last record read is: `bytes[start..<end]`, without its quotes.
    struct Field {
        var start: Int
        var end: Int
        var count: Int { end - start }
    }

    /// The file's bytes. The fields of the last record read point into it; reading the next
    /// record may overwrite them (unescaping happens in place).
    private(set) var bytes: [UInt8]
    private var index = 0
    private var line = 1

    init(data: Data) {
        var bytes = [UInt8](data)
        // A UTF-8 byte-order mark, as spreadsheet programs write it, is not part of the header.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.bytes = bytes
    }

    mutating func next() throws(SyntaxError) -> Record? {
        var fields: [Field] = []
        guard let line = try nextRecord(into: &fields) else { return nil }
        var texts: [String] = []
        for field in fields {
            guard let text = bytes.withUnsafeBufferPointer({ String(validating: UnsafeBufferPointer(rebasing: $0[field.start..<field.end]), as: UTF8.self) }) else {
                throw SyntaxError(line: line, message: Self.notUTF8)
            }
            texts.append(text)
        }
        return Record(line: line, fields: texts)
    }

    static let notUTF8 = "the file is not UTF-8 text"

    /// Reads the next record into `fields` (emptied first) and returns the line it starts on,
    /// or nil at the end of the file. Bytes are not checked to be UTF-8 here.
    mutating func nextRecord(into fields: inout [Field]) throws(SyntaxError) -> Int? {
        fields.removeAll(keepingCapacity: true)
        var index = self.index
        var line = self.line
        let result: Result<Int?, SyntaxError> = bytes.withUnsafeMutableBufferPointer { bytes in
            let count = bytes.count
            // Skip blank lines between records.
            while index < count, bytes[index] == UInt8(ascii: "\n") || bytes[index] == UInt8(ascii: "\r") {
                if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                index += 1
            }
            guard index < count else { return .success(nil) }
            let startLine = line
            // Field bytes are written at `write` (never after `index`), so each field ends up
            // contiguous without its quotes, its "" unescaped and its stray CRs dropped.
            var write = index
            var fieldStart = write
            var quoted = false
            var fieldStarted = false
            while index < count {
                let byte = bytes[index]
                if quoted {
                    if byte == UInt8(ascii: "\"") {
                        if index + 1 < count, bytes[index + 1] == UInt8(ascii: "\"") {
                            bytes[write] = byte
                            write += 1
                            index += 2
                            continue
                        }
                        quoted = false
                        index += 1
                        if index < count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "\n"), bytes[index] != UInt8(ascii: "\r") {
                            return .failure(SyntaxError(line: line, message: "text after a closing quote; quote the whole field"))
                        }
                        continue
                    }
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    bytes[write] = byte
                    write += 1
                    index += 1
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    guard !fieldStarted, write == fieldStart else {
                        return .failure(SyntaxError(line: line, message: "a quote inside an unquoted field; quote the whole field and write \"\" for a quote"))
                    }
                    quoted = true
                    fieldStarted = true
                    index += 1
                case UInt8(ascii: ","):
                    fields.append(Field(start: fieldStart, end: write))
                    fieldStart = write
                    fieldStarted = false
                    index += 1
                case UInt8(ascii: "\r"):
                    index += 1
                case UInt8(ascii: "\n"):
                    index += 1
                    line += 1
                    fields.append(Field(start: fieldStart, end: write))
                    return .success(startLine)
                default:
                    bytes[write] = byte
                    write += 1
                    fieldStarted = true
                    index += 1
                }
            }
            if quoted {
                return .failure(SyntaxError(line: startLine, message: "a quoted field is not closed before the end of the file"))
            }
            fields.append(Field(start: fieldStart, end: write))
            return .success(startLine)
        }
        self.index = index
        self.line = line
        return try result.get()
    }
}
