import Foundation

/// Reads CSV (RFC 4180: comma-separated, optional double quotes with "" for a quote,
/// LF or CRLF line ends) record by record, keeping the line number of each record so that
/// errors can name it.
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

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1

    init(data: Data) {
        var bytes = [UInt8](data)
        // A UTF-8 byte-order mark, as spreadsheet programs write it, is not part of the header.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.bytes = bytes
    }

    mutating func next() throws(SyntaxError) -> Record? {
        // Skip blank lines between records.
        while index < bytes.count, bytes[index] == UInt8(ascii: "\n") || bytes[index] == UInt8(ascii: "\r") {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var fieldStarted = false
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 2
                        continue
                    }
                    quoted = false
                    index += 1
                    if index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[index]) {
                        throw SyntaxError(line: line, message: "text after a closing quote; quote the whole field")
                    }
                    continue
                }
                if byte == UInt8(ascii: "\n") { line += 1 }
                field.append(byte)
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                guard !fieldStarted, field.isEmpty else {
                    throw SyntaxError(line: line, message: "a quote inside an unquoted field; quote the whole field and write \"\" for a quote")
                }
                quoted = true
                fieldStarted = true
                index += 1
            case UInt8(ascii: ","):
                fields.append(try Self.text(field, line: line))
                field.removeAll(keepingCapacity: true)
                fieldStarted = false
                index += 1
            case UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                fields.append(try Self.text(field, line: startLine))
                return Record(line: startLine, fields: fields)
            default:
                field.append(byte)
                fieldStarted = true
                index += 1
            }
        }
        if quoted {
            throw SyntaxError(line: startLine, message: "a quoted field is not closed before the end of the file")
        }
        fields.append(try Self.text(field, line: startLine))
        return Record(line: startLine, fields: fields)
    }

    private static func text(_ bytes: [UInt8], line: Int) throws(SyntaxError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SyntaxError(line: line, message: "the file is not UTF-8 text")
        }
        return text
    }
}
