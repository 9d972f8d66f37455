/// `GET /v1/members`: the members the node asked knows, as it sees them.
struct ConsoleMembers: Codable, Equatable, Sendable {
    struct Member: Codable, Equatable, Sendable {
        var nodeID: String
        var address: String
        /// alive, suspect, dead or left.
        var status: String
        var incarnation: UInt64

        enum CodingKeys: String, CodingKey {
            case address, status, incarnation
            case nodeID = "node_id"
        }
    }

    var origin: String
    var members: [Member]

    init(_ snapshot: ConsoleMeshSnapshot) {
        origin = snapshot.origin.rawValue
        members = snapshot.members.sorted { $0.nodeID < $1.nodeID }.map {
            Member(nodeID: $0.nodeID, address: $0.address, status: $0.status, incarnation: $0.incarnation)
        }
    }
}
