import Foundation
import MeshCore

/// What a running node reports about itself. `meshnode status` asks the node for it over
/// the node's own mutual-TLS port, with the node's own identity; the node also keeps a copy
/// in `status.json` in its folder (rewritten atomically about once a second) for
/// monitoring tools that read files.
struct NodeStatus: Codable, Equatable {
    struct MemberEntry: Codable, Equatable {
        var nodeID: String
        var address: String
        var status: String
        var incarnation: UInt64
    }

    struct CatalogueEntry: Codable, Equatable {
        var nodeID: String
        var version: UInt64
        var expiresAt: Date
        var subjects: String
    }

    var nodeID: String
    var processID: Int32
    var startedAt: Date
    var updatedAt: Date
    var listen: String
    var incarnation: UInt64
    var localHealth: Int
    var members: [MemberEntry]
    var catalogues: [CatalogueEntry]
    var catalogueRejections: [String: Int]
    var connectedPeers: [String]
    /// Frames and bytes (after LZ4, before TLS) this node has sent and received since it
    /// started; absent in status files of earlier versions.
    var traffic: Traffic?

    struct Traffic: Codable, Equatable {
        var framesSent: Int
        var bytesSent: Int
        var framesReceived: Int
        var bytesReceived: Int
    }

    /// The revocation list in force: its version (0 before any list arrived), when the CA
    /// signed it and when it promised a newer one (absent when there is no list, or it
    /// promised none). All four are absent in status files of earlier versions.
    var revocationListVersion: UInt64?
    var revocationListIssuedAt: Date?
    var revocationListNextUpdate: Date?
    /// Whether the list is past its next update: this node may be missing revocations, and
    /// the operator should get a newer list from the CA (`meshnode ca revoke`).
    var revocationsStale: Bool?

    /// Fills the revocation fields from `list` as it stands at `nowMilliseconds`.
    mutating func describeRevocations(_ list: RevocationList, nowMilliseconds: Int64) {
        revocationListVersion = list.version
        revocationListIssuedAt = list.version == 0 ? nil : UnixMilliseconds.date(list.issuedAtMilliseconds)
        revocationListNextUpdate =
            list.nextUpdateMilliseconds == RevocationList.noNextUpdate ? nil : UnixMilliseconds.date(list.nextUpdateMilliseconds)
        revocationsStale = list.isStale(nowMilliseconds: nowMilliseconds)
    }

    static let fileName = "status.json"

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601Time.text(date))
        }
        return try encoder.encode(self)
    }

    static func decoded(_ data: Data) throws -> NodeStatus {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            do {
                return try ISO8601Time.date(parsing: try container.decode(String.self))
            } catch let error as ISO8601TimeError {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
            }
        }
        return try decoder.decode(NodeStatus.self, from: data)
    }

    func write(toDirectory directory: String) throws {
        try SecureFile.writeAtomically(String(decoding: try encoded(), as: UTF8.self), to: directory + "/" + Self.fileName, mode: SecureFile.publicMode)
    }

    static func read(fromDirectory directory: String) throws -> NodeStatus {
        try decoded(Data(contentsOf: URL(fileURLWithPath: directory + "/" + fileName)))
    }
}
