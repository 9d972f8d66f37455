/// `GET /v1/session`: who the console acts for and through which node, and where the
/// identity lies, so that the page can write the same query as a `meshnode query` command.
struct ConsoleSession: Codable, Equatable, Sendable {
    var researcher: String
    var node: String
    var identityDirectory: String
    var caPath: String

    enum CodingKeys: String, CodingKey {
        case researcher, node
        case identityDirectory = "identity_directory"
        case caPath = "ca_path"
    }
}
