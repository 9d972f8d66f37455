/// The identity of a node in the federation: the `ID` in its certificate's SAN URI
/// `urn:oncomesh:node:ID`.
///
/// Node IDs appear in URIs, file names, log metadata and the aggregation tree, so they are
/// restricted to what is safe in all of them: lowercase ASCII letters, digits and `-`,
/// 1 to 63 characters (the length of one DNS label).
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Creates a node ID, refusing anything outside `[a-z0-9-]{1,63}`.
    public init(_ rawValue: String) throws(IdentifierError) {
        try IdentifierRules.validate(rawValue, kind: "node ID")
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The identity of a researcher: the `ID` in the SAN URI `urn:oncomesh:researcher:ID`.
/// Same character rules as ``NodeID``.
public struct ResearcherID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(IdentifierError) {
        try IdentifierRules.validate(rawValue, kind: "researcher ID")
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: ResearcherID, rhs: ResearcherID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A node or researcher ID that breaks the character rules.
public struct IdentifierError: Error, Equatable, CustomStringConvertible {
    public let value: String
    public let message: String

    public var description: String { message }
}

enum IdentifierRules {
    static let maximumLength = 63

    static func validate(_ value: String, kind: String) throws(IdentifierError) {
        if value.isEmpty {
            throw IdentifierError(value: value, message: "\(kind) must not be empty; use 1 to 63 characters from a-z, 0-9 and '-'")
        }
        let scalars = value.unicodeScalars
        if scalars.count > maximumLength {
            throw IdentifierError(
                value: value,
                message: "\(kind) '\(value)' has \(scalars.count) characters; at most \(maximumLength) are allowed"
            )
        }
        for (offset, scalar) in scalars.enumerated() {
            let allowed = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
            if !allowed {
                throw IdentifierError(
                    value: value,
                    message: "\(kind) '\(value)' contains '\(scalar.escaped(asASCII: true))' at position \(offset + 1); "
                        + "only lowercase letters a-z, digits 0-9 and '-' are allowed"
                )
            }
        }
    }
}
