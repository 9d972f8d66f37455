import Foundation
import Yams

/// A site's data dictionary: the attributes of its `cases` table (one row per imaging
/// study), their types, levels and domains (docs/ARCHITECTURE.md, "Data model").
public struct Schema: Sendable, Equatable {
    public let table: String
    public let attributes: [Attribute]
    private let indexByName: [String: Int]

    public init(table: String = "cases", attributes: [Attribute]) throws(SchemaError) {
        var index: [String: Int] = [:]
        for (position, attribute) in attributes.enumerated() {
            if index[attribute.name] != nil {
                throw SchemaError(source: nil, line: nil, "attribute '\(attribute.name)' is declared twice")
            }
            index[attribute.name] = position
        }
        let keys = attributes.filter { $0.type == .key }
        guard keys.count == 1 else {
            throw SchemaError(source: nil, line: nil, "a schema needs exactly one attribute of type key (the subject pseudonym); found \(keys.count)")
        }
        // The node keeps its own tables (site metadata, the audit log) next to the data; an
        // import replaces the data table, so it must never be one of them.
        if table.lowercased().hasPrefix("oncomesh_") {
            throw SchemaError(source: nil, line: nil, "table name '\(table)' is reserved: names starting with 'oncomesh_' are the node's own tables")
        }
        self.table = table
        self.attributes = attributes
        self.indexByName = index
    }

    public func attribute(named name: String) -> Attribute? {
        indexByName[name].map { attributes[$0] }
    }

    /// The subject pseudonym column.
    public var subjectKey: Attribute { attributes.first { $0.type == .key }! }

    /// Attributes that queries may use (everything but the key, which never leaves the site).
    public var queryableAttributes: [Attribute] { attributes.filter { $0.type != .key } }

    /// Loads a site's own data dictionary.
    public static func load(path: String) throws(SchemaError) -> Schema {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SchemaError(source: path, line: nil, "cannot read the schema file: \(error.localizedDescription)")
        }
        return try Schema(yaml: text, source: path)
    }

    /// Parses the YAML format of ``referenceYAML``; errors name `source` and the line.
    public init(yaml: String, source: String) throws(SchemaError) {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw SchemaError(source: source, line: nil, "the schema file is empty")
            }
            root = node
        } catch let error as SchemaError {
            throw error
        } catch let error as YamlError {
            throw SchemaError(source: source, line: Self.line(of: error), "invalid YAML: \(error)")
        } catch {
            throw SchemaError(source: source, line: nil, "invalid YAML: \(error)")
        }
        guard let mapping = root.mapping else {
            throw SchemaError(source: source, line: root.mark.map { $0.line }, "the schema must be a mapping with 'version', 'table' and 'attributes'")
        }
        let allowedTop: Set<String> = ["version", "table", "attributes"]
        for key in mapping.keys {
            guard let name = key.string, allowedTop.contains(name) else {
                throw SchemaError(source: source, line: key.mark?.line, "unknown key '\(key.string ?? "?")'; expected one of version, table, attributes")
            }
        }
        if let version = mapping["version"], version.int != 1 {
            throw SchemaError(source: source, line: version.mark?.line, "unsupported schema version '\(version.string ?? "?")'; this node reads version 1")
        }
        let table = mapping["table"]?.string ?? "cases"
        guard let list = mapping["attributes"]?.sequence else {
            throw SchemaError(source: source, line: root.mark?.line, "'attributes' must be a list")
        }
        var attributes: [Attribute] = []
        for item in list {
            attributes.append(try Attribute(node: item, source: source))
        }
        do {
            try self.init(table: table, attributes: attributes)
        } catch {
            throw SchemaError(source: source, line: nil, error.message)
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}

/// One column of the `cases` table.
public struct Attribute: Sendable, Equatable {
    public enum Level: String, Sendable {
        /// A property of the person: counted once per subject in statistics.
        case subject
        /// A property of one imaging study.
        case study
    }

    public enum AttributeType: Sendable, Equatable {
        case key
        case categorical(vocabulary: [String])
        case numeric(unit: String?, scale: Int, minimum: Decimal?, maximum: Decimal?)

        public static func == (lhs: AttributeType, rhs: AttributeType) -> Bool {
            switch (lhs, rhs) {
            case (.key, .key): true
            case (.categorical(let a), .categorical(let b)): a == b
            case (.numeric(let u1, let s1, let lo1, let hi1), .numeric(let u2, let s2, let lo2, let hi2)):
                u1 == u2 && s1 == s2 && lo1 == lo2 && hi1 == hi2
            default: false
            }
        }
    }

    public let name: String
    public let type: AttributeType
    public let level: Level
    public let nullable: Bool
    public let coding: String?
    public let description: String?

    public init(name: String, type: AttributeType, level: Level, nullable: Bool = false, coding: String? = nil, description: String? = nil) {
        self.name = name
        self.type = type
        self.level = level
        self.nullable = nullable
        self.coding = coding
        self.description = description
    }

    public var isCategorical: Bool { if case .categorical = type { true } else { false } }
    public var isNumeric: Bool { if case .numeric = type { true } else { false } }

    public var vocabulary: [String] {
        if case .categorical(let vocabulary) = type { vocabulary } else { [] }
    }

    /// Decimal places of a numeric's fixed-point representation.
    public var scale: Int {
        if case .numeric(_, let scale, _, _) = type { scale } else { 0 }
    }

    /// 10^scale: the factor between a value and its fixed-point integer.
    public var scaleFactor: Int64 {
        var factor: Int64 = 1
        for _ in 0..<scale { factor *= 10 }
        return factor
    }

    init(node: Node, source: String) throws(SchemaError) {
        let line = node.mark?.line
        guard let mapping = node.mapping else {
            throw SchemaError(source: source, line: line, "each attribute must be a mapping with name, type and level")
        }
        let allowed: Set<String> = ["name", "type", "level", "vocabulary", "unit", "scale", "min", "max", "nullable", "coding", "description"]
        for key in mapping.keys where !allowed.contains(key.string ?? "") {
            throw SchemaError(source: source, line: key.mark?.line, "unknown attribute key '\(key.string ?? "?")'; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
        guard let name = mapping["name"]?.string, !name.isEmpty else {
            throw SchemaError(source: source, line: line, "attribute without a name")
        }
        guard name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }),
            let first = name.unicodeScalars.first, ("a"..."z").contains(first)
        else {
            throw SchemaError(source: source, line: line, "attribute name '\(name)' must start with a-z and use only a-z, 0-9 and '_'")
        }
        guard let levelText = mapping["level"]?.string, let level = Level(rawValue: levelText) else {
            throw SchemaError(source: source, line: line, "attribute '\(name)' needs level: subject or study")
        }
        let nullable = mapping["nullable"]?.bool ?? false
        let type: AttributeType
        switch mapping["type"]?.string {
        case "key":
            type = .key
        case "categorical":
            guard let items = mapping["vocabulary"]?.sequence, !items.isEmpty else {
                throw SchemaError(source: source, line: line, "categorical attribute '\(name)' needs a non-empty vocabulary list")
            }
            var vocabulary: [String] = []
            for item in items {
                guard let code = item.string, !code.isEmpty else {
                    throw SchemaError(source: source, line: item.mark?.line, "vocabulary of '\(name)' holds an empty or non-text code")
                }
                if vocabulary.contains(code) {
                    throw SchemaError(source: source, line: item.mark?.line, "vocabulary of '\(name)' lists '\(code)' twice")
                }
                vocabulary.append(code)
            }
            guard vocabulary.count < Int(UInt16.max) else {
                throw SchemaError(source: source, line: line, "vocabulary of '\(name)' is too large")
            }
            type = .categorical(vocabulary: vocabulary)
        case "numeric":
            let scale = mapping["scale"]?.int ?? 0
            guard (0...6).contains(scale) else {
                throw SchemaError(source: source, line: line, "scale of '\(name)' must be 0 to 6 decimal places")
            }
            func decimal(_ key: String) throws(SchemaError) -> Decimal? {
                guard let node = mapping[key] else { return nil }
                guard let text = node.string, let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                    throw SchemaError(source: source, line: node.mark?.line, "\(key) of '\(name)' must be a number")
                }
                return value
            }
            let minimum = try decimal("min")
            let maximum = try decimal("max")
            if let minimum, let maximum, minimum > maximum {
                throw SchemaError(source: source, line: line, "min of '\(name)' is above its max")
            }
            type = .numeric(unit: mapping["unit"]?.string, scale: scale, minimum: minimum, maximum: maximum)
        default:
            throw SchemaError(source: source, line: line, "attribute '\(name)' needs type: key, categorical or numeric")
        }
        self.init(name: name, type: type, level: level, nullable: nullable, coding: mapping["coding"]?.string, description: mapping["description"]?.string)
    }
}

/// A data dictionary that cannot be used, with the file and line at fault.
public struct SchemaError: Error, Equatable, CustomStringConvertible {
    public let source: String?
    /// 1-based line, when known.
    public let line: Int?
    public let message: String

    public init(source: String?, line: Int?, _ message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        switch (source, line) {
        case (let source?, let line?): "\(source):\(line): \(message)"
        case (let source?, nil): "\(source): \(message)"
        default: message
        }
    }
}
