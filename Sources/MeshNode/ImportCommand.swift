import ArgumentParser
import Foundation
import MeshCore

/// `meshnode import`: validates a site's CSV export and replaces the site database's data
/// with it, all or nothing.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Validate a CSV export against the schema and load it into the site database (all or nothing)."
    )

    @Option(help: "The site database (SQLite); created if missing.")
    var db: String

    @Option(help: "The CSV file: a header naming the schema's attributes, then one row per imaging study.")
    var csv: String

    @Option(help: "The site's data dictionary (YAML); the reference schema when omitted.")
    var schema: String?

    func run() throws {
        let (schema, yaml) = try loadSchema()
        let rows = try SiteImporter(schema: schema).validate(csvAt: csv)
        let store = try SiteStore(path: db)
        let summary = try store.replaceCases(with: rows, schema: schema, schemaYAML: yaml, sourceFile: csv)
        var line = "imported \(summary.rows) studies of \(summary.subjects) subjects from \(csv) into \(db)"
        if let replaced = summary.replacedRows { line += " (replacing \(replaced) studies)" }
        print(line)
    }

    private func loadSchema() throws -> (Schema, String) {
        guard let path = schema else { return (Schema.reference, Schema.referenceYAML) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SchemaError(source: path, line: nil, "cannot read the schema file: \(error.localizedDescription)")
        }
        return (try Schema(yaml: text, source: path), text)
    }
}

/// `meshnode schema`: prints the reference data dictionary, the starting point for a
/// site's own.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the reference data dictionary (YAML) to adapt for a site."
    )

    func run() {
        print(Schema.referenceYAML)
    }
}

extension SiteImporter.ImportError: LocalizedError {
    var errorDescription: String? { description }
}
