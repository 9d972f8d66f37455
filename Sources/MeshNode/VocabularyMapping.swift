import Foundation
import MeshCore
import Yams

/// How a site's own vocabularies map onto the data dictionary's codes (`mapping.yaml`), for
/// imports from systems that do not speak the dictionary: a PACS writes "SIEMENS",
/// "Siemens Healthineers" or "SIEMENS HEALTHCARE GMBH" for one vendor, a clinical export
/// codes cancer types in ICD-10 or SNOMED CT.
///
/// ```yaml
/// version: 1
/// manufacturer:            # a categorical attribute of the schema
///   SIEMENS: [SIEMENS, "Siemens Healthineers", "SIEMENS HEALTHCARE GMBH"]
///   GE: ["GE MEDICAL SYSTEMS", "GE Healthcare"]
/// diagnosis:
///   C61: ["ICD-10:C61", "SNOMED:399068003"]
/// ```
///
/// Each key under an attribute is a code of that attribute's vocabulary; its list holds the
/// site's values for it. Site values are compared without case and surrounding blanks, and
/// a value that already is a dictionary code maps to itself, so a mapping lists only what
/// differs. A site value listed under two codes is refused: one value, one meaning.
struct VocabularyMapping: Sendable, Equatable {
    /// The file format this reader understands.
    static let formatVersion = 1

    /// For each mapped attribute: normalised site value → dictionary code.
    private(set) var codes: [String: [String: String]]
    /// The attributes' vocabularies, so that a dictionary code maps to itself.
    private let vocabularies: [String: Set<String>]

    /// A mapping that maps nothing: only dictionary codes are accepted.
    init(schema: Schema) {
        codes = [:]
        vocabularies = Self.vocabularies(of: schema)
    }

    /// Reads a mapping file; errors name the file, the line and the value.
    init(contentsOf path: String, schema: Schema) throws(ConfigError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, "cannot read the mapping: \(error.localizedDescription)")
        }
        try self.init(parsing: text, file: path, schema: schema)
    }

    init(parsing text: String, file: String, schema: Schema) throws(ConfigError) {
        vocabularies = Self.vocabularies(of: schema)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text), node.mapping != nil else {
                throw ConfigError(file: file, line: nil, "a mapping file is a YAML mapping: 'version: 1', then for each categorical attribute its dictionary codes, each with a list of the site's values")
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: file, line: nil, "invalid YAML: \(error)")
        }
        var codes: [String: [String: String]] = [:]
        var sawVersion = false
        for (key, value) in root.mapping! {
            guard let attribute = key.string else { throw ConfigError(file: file, line: key.mark?.line, "keys are attribute names") }
            if attribute == "version" {
                guard value.int == Self.formatVersion else {
                    throw ConfigError(file: file, line: value.mark?.line, "version \(value.string ?? "?") is not supported; this meshnode reads version \(Self.formatVersion)")
                }
                sawVersion = true
                continue
            }
            guard let vocabulary = vocabularies[attribute] else {
                let suggestion = NameSuggestion.closest(to: attribute, among: vocabularies.keys).map { "; did you mean '\($0)'?" } ?? ""
                throw ConfigError(
                    file: file, line: key.mark?.line,
                    "'\(attribute)' is not a categorical attribute of the schema (categorical: \(vocabularies.keys.sorted().joined(separator: ", ")))\(suggestion)")
            }
            guard let entries = value.mapping else {
                throw ConfigError(file: file, line: value.mark?.line, "\(attribute): map each dictionary code to a list of the site's values")
            }
            var byValue: [String: String] = [:]
            for (codeNode, valuesNode) in entries {
                guard let code = codeNode.string, vocabulary.contains(code) else {
                    throw ConfigError(
                        file: file, line: codeNode.mark?.line,
                        "\(attribute): '\(codeNode.string ?? "?")' is not a code of the dictionary (\(vocabulary.sorted().joined(separator: ", ")))")
                }
                let values: [Node]
                if let list = valuesNode.sequence { values = Array(list) } else { values = [valuesNode] }
                for valueNode in values {
                    guard let siteValue = valueNode.string, !Self.normalised(siteValue).isEmpty else {
                        throw ConfigError(file: file, line: valueNode.mark?.line, "\(attribute).\(code): site values are non-empty text")
                    }
                    let normal = Self.normalised(siteValue)
                    if let other = byValue[normal], other != code {
                        throw ConfigError(file: file, line: valueNode.mark?.line, "\(attribute): '\(siteValue)' is listed under both \(other) and \(code)")
                    }
                    byValue[normal] = code
                }
            }
            codes[attribute] = byValue
        }
        guard sawVersion else { throw ConfigError(file: file, line: root.mark?.line, "missing 'version: \(Self.formatVersion)'") }
        self.codes = codes
    }

    /// The dictionary code for a site's `value` of `attribute`, or nil when nothing maps it.
    func code(for value: String, of attribute: String) -> String? {
        let normal = Self.normalised(value)
        if let mapped = codes[attribute]?[normal] { return mapped }
        // A value that already is a dictionary code (in any case) maps to itself.
        return vocabularies[attribute]?.first { $0.uppercased() == normal }
    }

    /// Site values are compared without case and surrounding blanks (DICOM pads with spaces).
    static func normalised(_ value: String) -> String {
        value.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\0"))).uppercased()
    }

    private static func vocabularies(of schema: Schema) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for attribute in schema.attributes {
            if case .categorical(let vocabulary) = attribute.type { result[attribute.name] = Set(vocabulary) }
        }
        return result
    }
}

/// Values an import met that no mapping covers, counted per attribute, with examples of
/// where they came from: reported after every import, never dropped silently.
struct UnmappedValues: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var count = 0
        /// The first places the value was met (a file, a study, a CSV line), at most ``UnmappedValues/examplesPerValue``.
        var examples: [String] = []
    }

    static let examplesPerValue = 3

    /// attribute → site value (as met) → how often and where.
    private(set) var entries: [String: [String: Entry]] = [:]

    var isEmpty: Bool { entries.isEmpty }
    var total: Int { entries.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }

    mutating func record(_ value: String, of attribute: String, at place: String) {
        var entry = entries[attribute, default: [:]][value, default: Entry()]
        entry.count += 1
        if entry.examples.count < Self.examplesPerValue { entry.examples.append(place) }
        entries[attribute, default: [:]][value] = entry
    }

    /// One line per unmapped value, most frequent first: what to add to the mapping file.
    var report: [String] {
        entries.keys.sorted().flatMap { attribute in
            entries[attribute]!.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }.map { value, entry in
                "\(attribute): '\(value)' unmapped in \(entry.count) \(entry.count == 1 ? "record" : "records") (e.g. \(entry.examples.joined(separator: ", ")))"
            }
        }
    }
}
