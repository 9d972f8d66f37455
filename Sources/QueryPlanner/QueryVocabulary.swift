import MeshCore

/// What a query may name: attributes with their types and known codes. For `local-query`
/// it is the site's schema; for a federated query, the union of the live catalogues.
public struct QueryVocabulary: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case categorical(codes: Set<String>)
        case numeric(scale: Int)
    }

    public struct Entry: Sendable, Equatable {
        public let kind: Kind
        public let level: Attribute.Level

        public init(kind: Kind, level: Attribute.Level) {
            self.kind = kind
            self.level = level
        }
    }

    public let table: String
    public let keyName: String
    public private(set) var entries: [String: Entry]

    public init(table: String = "cases", keyName: String = "subject_id", entries: [String: Entry]) {
        self.table = table
        self.keyName = keyName
        self.entries = entries
    }

    public init(schema: Schema) {
        var entries: [String: Entry] = [:]
        for attribute in schema.queryableAttributes {
            switch attribute.type {
            case .categorical(let vocabulary):
                entries[attribute.name] = Entry(kind: .categorical(codes: Set(vocabulary)), level: attribute.level)
            case .numeric(_, let scale, _, _):
                entries[attribute.name] = Entry(kind: .numeric(scale: scale), level: attribute.level)
            case .key:
                break
            }
        }
        self.init(table: schema.table, keyName: schema.subjectKey.name, entries: entries)
    }

    /// Decimal places of each numeric attribute (for releasing statistics).
    public var scales: [String: Int] {
        entries.compactMapValues { if case .numeric(let scale) = $0.kind { scale } else { nil } }
    }

    /// The known name closest to `name`, if it is close enough to be a likely typo.
    func suggestion(for name: String) -> String? {
        NameSuggestion.closest(to: name, among: entries.keys)
    }
}
