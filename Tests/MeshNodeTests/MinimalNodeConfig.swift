import TestSupport

/// The smallest node.yaml the configuration loader accepts, for tests of settings and of the
/// commands that read a node's database (`audit`, `budget`): node `hospital-a`, database
/// `site.sqlite` beside the file. The certificate files it names are never read by them.
enum MinimalNodeConfig {
    /// The text, with `section:` and its indented `lines` appended when given.
    static func text(section: String? = nil, _ lines: [String] = []) -> String {
        var text = """
            node_id: hospital-a
            listen: 127.0.0.1:7946
            certificate: node.crt
            key: node.key
            ca: ca.crt
            database: site.sqlite

            """
        if let section { text += "\(section):\n" + lines.map { "  \($0)\n" }.joined() }
        return text
    }

    /// A temporary node folder holding that file.
    static func folder(section: String? = nil, _ lines: [String] = []) throws -> (TemporaryDirectory, config: String, database: String) {
        let directory = try TemporaryDirectory()
        let config = directory.file("node.yaml")
        try text(section: section, lines).write(toFile: config, atomically: true, encoding: .utf8)
        return (directory, config, directory.file("site.sqlite"))
    }
}
