import Foundation

/// What a running node reports about itself: written by `meshnode run` to `status.json` in
/// the node folder (atomically, about once a second) and read by `meshnode status`.
///
/// A file rather than a network endpoint: the operator who runs the node owns the folder,
/// so no credential or port is needed to ask a node how it is.
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

    static let fileName = "status.json"

    func write(toDirectory directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(self)
        let path = directory + "/" + Self.fileName
        let temporary = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        _ = rename(temporary, path)
    }

    static func read(fromDirectory directory: String) throws -> NodeStatus {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(NodeStatus.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/" + fileName)))
    }
}
