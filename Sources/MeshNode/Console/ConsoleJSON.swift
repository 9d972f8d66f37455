import Foundation
import Hummingbird

/// How the console writes JSON: keys sorted, so the same value always reads the same, and
/// names spelled out by each type's coding keys (snake_case, as `meshnode query --format
/// json`), never converted, since dictionary keys are node IDs and codes.
enum ConsoleJSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601DateFormatter().string(from: date))
        }
        return try encoder.encode(value)
    }

    /// Reads what ``encode(_:)`` writes (for clients and tests).
    static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }

    /// A JSON response with `status`.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encode(value)))
        )
    }
}
