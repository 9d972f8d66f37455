import Aggregation
import Foundation
import Gossip
import MeshCore

/// Decides from a catalogue alone whether a node can contribute anything to a query
/// (docs/ARCHITECTURE.md, "Planning and execution along a tree", step 2), so that the origin asks only
/// nodes that can. A node is pruned when it lacks an attribute the query uses, or when its
/// declared domain rules out every row the filter could select: none of the codes an
/// equality or IN asks for, or no numeric values in the asked-for range.
///
/// The test is conservative: it prunes only when the filter is certainly false on every
/// row of the site, reasoning over the published domain (codes held, range rounded
/// outwards). Negations and inequalities are assumed satisfiable.
public enum TargetPruning {
    /// The reason `catalogue` cannot contribute to `query`, or nil if it may.
    public static func reason(toPrune catalogue: Catalogue, for query: Query) -> String? {
        let domains = Dictionary(catalogue.attributes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in usedAttributes(of: query) {
            guard let attribute = domains[name] else { return "lacks attribute \(name)" }
            switch (attribute.domain, expectedNumeric(name, in: query)) {
            case (.categorical, true?): return "\(name) is categorical here, the query uses it as numeric"
            case (.numeric, false?): return "\(name) is numeric here, the query uses it as categorical"
            default: break
            }
        }
        guard let filter = query.filter else { return nil }
        return impossibility(of: filter, domains: domains)
    }

    /// Every attribute the query names, in a stable order.
    public static func usedAttributes(of query: Query) -> [String] {
        var names: [String] = []
        func add(_ name: String) { if !names.contains(name) { names.append(name) } }
        query.statisticAttributes.forEach(add)
        query.groupBy.map(\.attribute).forEach(add)
        func visit(_ condition: Condition) {
            switch condition {
            case .comparison(let a, _, _), .membership(let a, _, _), .range(let a, _, _, _), .isNull(let a, _): add(a)
            case .and(let l, let r), .or(let l, let r):
                visit(l)
                visit(r)
            case .not(let inner): visit(inner)
            }
        }
        if let filter = query.filter { visit(filter) }
        return names
    }

    /// Whether the query treats the attribute as numeric (true), categorical (false), or
    /// does not say (nil: only IS NULL).
    private static func expectedNumeric(_ name: String, in query: Query) -> Bool? {
        if query.statisticAttributes.contains(name) { return true }
        for grouping in query.groupBy where grouping.attribute == name {
            if case .bin = grouping { return true }
            return false
        }
        func literalKind(_ condition: Condition) -> Bool? {
            switch condition {
            case .comparison(let a, _, let literal) where a == name: return literal.isNumber
            case .membership(let a, let literals, _) where a == name: return literals.first?.isNumber
            case .range(let a, _, _, _) where a == name: return true
            case .and(let l, let r), .or(let l, let r): return literalKind(l) ?? literalKind(r)
            case .not(let inner): return literalKind(inner)
            default: return nil
            }
        }
        return query.filter.flatMap(literalKind)
    }

    /// Why `condition` is false on every row the domains allow, or nil if it may be true.
    static func impossibility(of condition: Condition, domains: [String: Catalogue.AttributeDomain]) -> String? {
        switch condition {
        case .comparison(let name, .equal, let literal):
            return impossibility(of: name, among: [literal], domains: domains)
        case .membership(let name, let literals, negated: false):
            return impossibility(of: name, among: literals, domains: domains)
        case .comparison(let name, let op, .number(let value)) where op != .notEqual:
            return impossibility(of: name, within: interval(op, value), domains: domains)
        case .range(let name, .number(let lower), .number(let upper), negated: false):
            return impossibility(of: name, within: (lower, upper), domains: domains)
        case .isNull(let name, negated: false):
            if let attribute = domains[name], !attribute.nullable { return "\(name) is never NULL here" }
            return nil
        case .and(let left, let right):
            return impossibility(of: left, domains: domains) ?? impossibility(of: right, domains: domains)
        case .or(let left, let right):
            guard let l = impossibility(of: left, domains: domains), let r = impossibility(of: right, domains: domains) else { return nil }
            return "\(l), and \(r)"
        default:
            return nil
        }
    }

    private static func impossibility(of name: String, among literals: [Literal], domains: [String: Catalogue.AttributeDomain]) -> String? {
        guard let attribute = domains[name] else { return nil }
        switch attribute.domain {
        case .categorical(let codes):
            let asked = literals.compactMap { if case .text(let code) = $0 { code } else { nil } }
            guard asked.count == literals.count, !asked.isEmpty else { return nil }
            if asked.contains(where: codes.contains) { return nil }
            let listed = asked.map { "'\($0)'" }.joined(separator: ", ")
            return "holds no \(name) \(listed)"
        case .numeric:
            var lowest: Decimal?
            var highest: Decimal?
            for literal in literals {
                guard case .number(let value) = literal else { return nil }
                lowest = lowest.map { min($0, value) } ?? value
                highest = highest.map { max($0, value) } ?? value
            }
            guard let lowest, let highest else { return nil }
            // Every asked-for value lies outside the range means none can match.
            for literal in literals {
                if case .number(let value) = literal, impossibility(of: name, within: (value, value), domains: domains) == nil { return nil }
            }
            return impossibility(of: name, within: (lowest, highest), domains: domains)
        }
    }

    /// The closed interval of values a comparison admits (nil bound: unbounded). Strict
    /// comparisons are widened to closed ones, which keeps the test conservative.
    private static func interval(_ op: ComparisonOperator, _ value: Decimal) -> (Decimal?, Decimal?) {
        switch op {
        case .equal: (value, value)
        case .less, .lessOrEqual: (nil, value)
        case .greater, .greaterOrEqual: (value, nil)
        case .notEqual: (nil, nil)
        }
    }

    private static func impossibility(of name: String, within bounds: (Decimal?, Decimal?), domains: [String: Catalogue.AttributeDomain]) -> String? {
        guard let attribute = domains[name], case .numeric(_, let scale, let range) = attribute.domain else { return nil }
        let asked = "[\(bounds.0.map { "\($0)" } ?? "-∞"), \(bounds.1.map { "\($0)" } ?? "∞")]"
        guard let range else { return "holds no value of \(name)" }
        let low = Self.decimal(range.lowerBound, scale: scale)
        let high = Self.decimal(range.upperBound, scale: scale)
        if let upper = bounds.1, upper < low { return "holds no \(name) in \(asked) (its values lie in [\(low), \(high)])" }
        if let lower = bounds.0, lower > high { return "holds no \(name) in \(asked) (its values lie in [\(low), \(high)])" }
        if let lower = bounds.0, let upper = bounds.1, lower > upper { return "no \(name) lies in the empty range \(asked)" }
        return nil
    }

    private static func decimal(_ fixed: Int64, scale: Int) -> Decimal {
        var value = Decimal(fixed)
        for _ in 0..<scale { value /= 10 }
        return value
    }
}

extension Literal {
    var isNumber: Bool { if case .number = self { true } else { false } }
}
