import Aggregation
import Foundation
import MeshCore

/// Parses the SQL dialect of docs/ARCHITECTURE.md ("Queries") into a ``Query`` and checks it against a
/// ``QueryVocabulary``: names, types and codes. One parser serves `local-query` and the mesh.
///
/// ```
/// query     := SELECT item ("," item)* FROM table [WHERE condition] [GROUP BY group ("," group)*] [";"]
/// item      := COUNT "(" "*" ")" | COUNT "(" DISTINCT subject ")" | (AVG|VARIANCE|STDDEV) "(" attr ")"
///            | HISTOGRAM "(" attr "," number "," number "," integer ")"
/// group     := attr | BIN "(" attr "," number "," number "," integer ")"
/// condition := conjunct (OR conjunct)*          conjunct := negation (AND negation)*
/// negation  := NOT negation | "(" condition ")" | attr test
/// test      := op literal | [NOT] IN "(" literal ("," literal)* ")"
///            | [NOT] BETWEEN number AND number | IS [NOT] NULL
/// ```
///
/// `HISTOGRAM(attr, lo, hi, n)` is shorthand for `COUNT(DISTINCT subject) ... GROUP BY
/// BIN(attr, lo, hi, n)` and stands alone in the select list.
public struct QueryParser {
    public static let maximumCategoricalGroups = 3
    public static let maximumBins = 1000
    /// Limits that keep every later stage safe: the planner, the wire coding, the executor
    /// and the normalised text all recurse over the condition tree, whose depth is at most
    /// the number of tests plus the nesting. A query within them has a tree a few hundred
    /// levels deep at most; one beyond them gets a positioned error before anything
    /// recurses, instead of exhausting a node's stack.
    public static let maximumTextBytes = 256 * 1024
    public static let maximumConditions = 256
    public static let maximumNesting = 64

    /// Limits an origin sets for the queries it plans (`load` in node.yaml), at most the
    /// parser's own; plans from other nodes are held to the maximum.
    public struct Limits: Sendable, Equatable {
        public var textBytes: Int
        public var nesting: Int

        public init(textBytes: Int = QueryParser.maximumTextBytes, nesting: Int = QueryParser.maximumNesting) {
            self.textBytes = textBytes
            self.nesting = nesting
        }

        public static let maximum = Limits()

        /// Why these limits cannot be used, naming the setting; nil when they can.
        public func problem() -> String? {
            if textBytes < 64 || textBytes > QueryParser.maximumTextBytes {
                return "max_query_text_bytes must be from 64 to \(QueryParser.maximumTextBytes); got \(textBytes)"
            }
            if nesting < 1 || nesting > QueryParser.maximumNesting {
                return "max_parse_depth must be from 1 to \(QueryParser.maximumNesting); got \(nesting)"
            }
            return nil
        }
    }

    private let vocabulary: QueryVocabulary
    private let limits: Limits
    private var tokens: [Token] = []
    private var position = 0
    private var nesting = 0
    private var conditions = 0

    public init(vocabulary: QueryVocabulary, limits: Limits = .maximum) {
        self.vocabulary = vocabulary
        self.limits = limits
    }

    public static func parse(_ text: String, vocabulary: QueryVocabulary, limits: Limits = .maximum) throws(QueryError) -> Query {
        var parser = QueryParser(vocabulary: vocabulary, limits: limits)
        return try parser.parse(text)
    }

    public mutating func parse(_ text: String) throws(QueryError) -> Query {
        guard text.utf8.count <= limits.textBytes else {
            throw QueryError(
                SourceLocation(line: 1, column: 1),
                "the query has \(text.utf8.count) bytes; at most \(limits.textBytes) are accepted (split it into smaller queries)"
            )
        }
        tokens = try QueryLexer.tokenize(text)
        position = 0
        nesting = 0
        conditions = 0
        try expectKeyword("SELECT")
        var aggregates: [Aggregate] = []
        var histogram: (Grouping, SourceLocation)?
        repeat {
            let location = current.location
            switch try selectItem() {
            case .aggregate(let aggregate):
                if aggregates.contains(aggregate) {
                    throw QueryError(location, "\(aggregate.columnName) is selected twice")
                }
                aggregates.append(aggregate)
            case .histogram(let binning):
                histogram = (binning, location)
            }
        } while consumeSymbol(",")
        if let (_, location) = histogram, !aggregates.isEmpty {
            throw QueryError(location, "HISTOGRAM(...) stands alone in the select list; it already counts distinct subjects per bin")
        }
        try expectKeyword("FROM")
        let tableToken = current
        guard case .word(let table) = tableToken.kind else {
            throw QueryError(tableToken.location, "expected the table name '\(vocabulary.table)', found \(tableToken.describedForError)")
        }
        guard table.lowercased() == vocabulary.table else {
            throw QueryError(tableToken.location, "unknown table '\(table)'; every node has one table, '\(vocabulary.table)'")
        }
        position += 1

        var filter: Condition?
        if consumeKeyword("WHERE") {
            filter = try condition()
        }
        var groupBy: [Grouping] = []
        if consumeKeyword("GROUP") {
            try expectKeyword("BY")
            repeat {
                let location = current.location
                let grouping = try groupItem()
                if groupBy.contains(where: { $0.attribute == grouping.attribute }) {
                    throw QueryError(location, "\(grouping.attribute) is grouped by twice")
                }
                groupBy.append(grouping)
            } while consumeSymbol(",")
        }
        if let (binning, location) = histogram {
            if groupBy.contains(where: { if case .bin = $0 { true } else { false } }) {
                throw QueryError(location, "HISTOGRAM(...) already bins; remove BIN(...) from GROUP BY")
            }
            aggregates = [.subjectCount]
            groupBy.append(binning)
        }
        let categoricalCount = groupBy.filter { if case .attribute = $0 { true } else { false } }.count
        if categoricalCount > Self.maximumCategoricalGroups {
            throw QueryError(current.location, "GROUP BY allows at most \(Self.maximumCategoricalGroups) categorical attributes (found \(categoricalCount))")
        }
        if groupBy.filter({ if case .bin = $0 { true } else { false } }).count > 1 {
            throw QueryError(current.location, "GROUP BY allows one BIN(...)")
        }
        _ = consumeSymbol(";")
        guard case .end = current.kind else {
            throw QueryError(current.location, "expected the end of the query, found \(current.describedForError)")
        }
        return Query(aggregates: aggregates, filter: filter, groupBy: groupBy)
    }

    // MARK: Select list and grouping

    private enum SelectItem {
        case aggregate(Aggregate)
        case histogram(Grouping)
    }

    private mutating func selectItem() throws(QueryError) -> SelectItem {
        let token = current
        guard case .word(let word) = token.kind else {
            throw QueryError(token.location, "expected COUNT, AVG, VARIANCE, STDDEV or HISTOGRAM, found \(token.describedForError)")
        }
        position += 1
        switch word.uppercased() {
        case "COUNT":
            try expectSymbol("(")
            if consumeSymbol("*") {
                try expectSymbol(")")
                return .aggregate(.studyCount)
            }
            guard consumeKeyword("DISTINCT") else {
                throw QueryError(current.location, "expected * or DISTINCT subject inside COUNT(...), found \(current.describedForError)")
            }
            let subject = current
            guard case .word(let name) = subject.kind, ["subject", vocabulary.keyName].contains(name.lowercased()) else {
                throw QueryError(subject.location, "COUNT(DISTINCT ...) counts persons: write COUNT(DISTINCT subject), found \(subject.describedForError)")
            }
            position += 1
            try expectSymbol(")")
            return .aggregate(.subjectCount)
        case "AVG", "VARIANCE", "STDDEV":
            try expectSymbol("(")
            let (name, _) = try numericAttribute(for: word.uppercased())
            try expectSymbol(")")
            switch word.uppercased() {
            case "AVG": return .aggregate(.mean(name))
            case "VARIANCE": return .aggregate(.variance(name))
            default: return .aggregate(.standardDeviation(name))
            }
        case "HISTOGRAM":
            return .histogram(try binArguments(function: "HISTOGRAM"))
        default:
            let known = ["COUNT", "AVG", "VARIANCE", "STDDEV", "HISTOGRAM"]
            let hint = NameSuggestion.closest(to: word.uppercased(), among: known).map { "; did you mean \($0)?" } ?? ""
            throw QueryError(token.location, "unknown aggregate '\(word)'; expected COUNT, AVG, VARIANCE, STDDEV or HISTOGRAM\(hint)")
        }
    }

    private mutating func groupItem() throws(QueryError) -> Grouping {
        if current.isKeyword("BIN") {
            position += 1
            return try binArguments(function: "BIN")
        }
        let (name, entry, location) = try attribute()
        guard case .categorical = entry.kind else {
            throw QueryError(location, "\(name) is numeric; group it with BIN(\(name), lo, hi, n)")
        }
        return .attribute(name)
    }

    private mutating func binArguments(function: String) throws(QueryError) -> Grouping {
        try expectSymbol("(")
        let (name, _) = try numericAttribute(for: function)
        try expectSymbol(",")
        let (lower, _) = try numberLiteral()
        try expectSymbol(",")
        let (upper, upperLocation) = try numberLiteral()
        try expectSymbol(",")
        let (count, countLocation) = try numberLiteral()
        try expectSymbol(")")
        guard lower < upper else {
            throw QueryError(upperLocation, "\(function) needs lo < hi; got lo \(lower), hi \(upper)")
        }
        var rounded = Decimal()
        var source = count
        NSDecimalRound(&rounded, &source, 0, .plain)
        guard rounded == count, count >= 1, count <= Decimal(Self.maximumBins) else {
            throw QueryError(countLocation, "the number of bins must be a whole number from 1 to \(Self.maximumBins); got \(count)")
        }
        return .bin(name, lower: lower, upper: upper, count: NSDecimalNumber(decimal: count).intValue)
    }

    // MARK: Conditions

    private mutating func condition() throws(QueryError) -> Condition {
        var left = try conjunct()
        while consumeKeyword("OR") {
            left = .or(left, try conjunct())
        }
        return left
    }

    private mutating func conjunct() throws(QueryError) -> Condition {
        var left = try negation()
        while consumeKeyword("AND") {
            left = .and(left, try negation())
        }
        return left
    }

    private mutating func negation() throws(QueryError) -> Condition {
        let location = current.location
        if consumeKeyword("NOT") {
            try enter(location)
            defer { nesting -= 1 }
            return .not(try negation())
        }
        if consumeSymbol("(") {
            try enter(location)
            defer { nesting -= 1 }
            let inner = try condition()
            try expectSymbol(")")
            return inner
        }
        return try test()
    }

    /// One more level of NOT or parentheses, refused beyond the limit (at most
    /// ``maximumNesting``).
    private mutating func enter(_ location: SourceLocation) throws(QueryError) {
        nesting += 1
        guard nesting <= limits.nesting else {
            throw QueryError(location, "the condition nests NOT and parentheses more than \(limits.nesting) levels deep; simplify it")
        }
    }

    private mutating func test() throws(QueryError) -> Condition {
        conditions += 1
        guard conditions <= Self.maximumConditions else {
            throw QueryError(current.location, "the condition has more than \(Self.maximumConditions) tests; use IN (...) or BETWEEN, or split the query")
        }
        let (name, entry, location) = try attribute()
        let operatorToken = current
        if consumeKeyword("IS") {
            let negated = consumeKeyword("NOT")
            try expectKeyword("NULL")
            return .isNull(name, negated: negated)
        }
        let negated = consumeKeyword("NOT")
        if consumeKeyword("IN") {
            try expectSymbol("(")
            var literals: [Literal] = []
            repeat {
                literals.append(try literal(for: name, entry))
            } while consumeSymbol(",")
            try expectSymbol(")")
            return .membership(name, literals, negated: negated)
        }
        if consumeKeyword("BETWEEN") {
            guard case .numeric = entry.kind else {
                throw QueryError(operatorToken.location, "\(name) is categorical; BETWEEN needs a numeric attribute (use IN for a set of codes)")
            }
            let lower = try literal(for: name, entry)
            try expectKeyword("AND")
            let upper = try literal(for: name, entry)
            return .range(name, lower: lower, upper: upper, negated: negated)
        }
        if negated {
            throw QueryError(current.location, "expected IN or BETWEEN after NOT, found \(current.describedForError)")
        }
        guard case .symbol(let symbol) = operatorToken.kind, let op = ComparisonOperator(rawValue: symbol) else {
            throw QueryError(
                operatorToken.location,
                "expected a comparison (=, <>, <, <=, >, >=), IN, BETWEEN or IS after \(name), found \(operatorToken.describedForError)"
            )
        }
        position += 1
        if case .categorical = entry.kind, op != .equal, op != .notEqual {
            throw QueryError(operatorToken.location, "\(name) is categorical: compare it with = or <> (or IN), not \(op.rawValue)")
        }
        _ = location
        return .comparison(name, op, try literal(for: name, entry))
    }

    /// A literal of the attribute's type; for categoricals a code some provider declares.
    private mutating func literal(for name: String, _ entry: QueryVocabulary.Entry) throws(QueryError) -> Literal {
        let token = current
        switch (entry.kind, token.kind) {
        case (.categorical(let codes), .string(let code)):
            position += 1
            guard codes.contains(code) else {
                let hint = NameSuggestion.closest(to: code, among: codes).map { "; did you mean '\($0)'?" } ?? ""
                throw QueryError(token.location, "unknown code '\(code)' for \(name)\(hint)")
            }
            return .text(code)
        case (.categorical, .number(_, let text)):
            throw QueryError(token.location, "\(name) is categorical; write its code as a string ('\(text)'), not a number")
        case (.numeric, .string(let text)):
            throw QueryError(token.location, "\(name) is numeric; compare it with a number, not the string '\(text)'")
        case (.numeric, _):
            return .number(try numberLiteral().0)
        default:
            throw QueryError(token.location, "expected a value for \(name), found \(token.describedForError)")
        }
    }

    private mutating func numberLiteral() throws(QueryError) -> (Decimal, SourceLocation) {
        let location = current.location
        let negative = consumeSymbol("-")
        guard case .number(let value, _) = current.kind else {
            throw QueryError(current.location, "expected a number, found \(current.describedForError)")
        }
        position += 1
        return (negative ? -value : value, location)
    }

    // MARK: Names

    private mutating func attribute() throws(QueryError) -> (String, QueryVocabulary.Entry, SourceLocation) {
        let token = current
        guard case .word(let word) = token.kind else {
            throw QueryError(token.location, "expected an attribute name, found \(token.describedForError)")
        }
        let name = word.lowercased()
        if name == vocabulary.keyName || name == "subject" {
            throw QueryError(token.location, "\(vocabulary.keyName) is the site-local pseudonym; it never leaves a site and cannot be queried")
        }
        guard let entry = vocabulary.entries[name] else {
            let hint = vocabulary.suggestion(for: name).map { "; did you mean '\($0)'?" } ?? ""
            throw QueryError(token.location, "unknown attribute '\(word)'\(hint)")
        }
        position += 1
        return (name, entry, token.location)
    }

    private mutating func numericAttribute(for function: String) throws(QueryError) -> (String, SourceLocation) {
        let (name, entry, location) = try attribute()
        guard case .numeric = entry.kind else {
            throw QueryError(location, "\(function) needs a numeric attribute; \(name) is categorical")
        }
        return (name, location)
    }

    // MARK: Tokens

    private var current: Token { tokens[position] }

    private mutating func consumeKeyword(_ keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        position += 1
        return true
    }

    private mutating func consumeSymbol(_ symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        position += 1
        return true
    }

    private mutating func expectKeyword(_ keyword: String) throws(QueryError) {
        guard consumeKeyword(keyword) else {
            var hint = ""
            if case .word(let word) = current.kind, NameSuggestion.editDistance(word.uppercased(), keyword) <= 2 {
                hint = "; did you mean \(keyword)?"
            }
            throw QueryError(current.location, "expected \(keyword), found \(current.describedForError)\(hint)")
        }
    }

    private mutating func expectSymbol(_ symbol: String) throws(QueryError) {
        guard consumeSymbol(symbol) else {
            throw QueryError(current.location, "expected '\(symbol)', found \(current.describedForError)")
        }
    }
}
