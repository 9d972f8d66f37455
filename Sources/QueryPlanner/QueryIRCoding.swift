import Aggregation
import Foundation
import SwiftProtobuf

/// Protobuf coding of the query IR (`QueryIR` in QueryPlan.proto), the part of a plan every
/// node executes (docs/ARCHITECTURE.md, "Planning and execution along a tree").
///
/// Nodes execute the IR, not the plan's text, so decoding re-checks the rules the parser
/// enforces on text (docs/ARCHITECTURE.md, "Queries"): at least one aggregate and none twice; at most
/// ``QueryParser/maximumCategoricalGroups`` categorical groupings and one binning, no
/// attribute grouped twice; bins with lower < upper and 1 to ``QueryParser/maximumBins``
/// bins; every condition complete. Whether the names exist is the executor's question, since
/// only it knows the site's schema.
///
/// Decimals travel as text (``WireDecoding/decimal(_:_:)``) so that every node reads the
/// bounds the researcher wrote, digit for digit.
extension Query {
    public func encoded() -> [UInt8] {
        // Encoding a message of scalars, strings and submessages cannot fail.
        try! wire.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        try self.init(wire: try WireDecoding.message(WireQueryIR.self, from: bytes, what: "the query"))
    }

    var wire: WireQueryIR {
        var message = WireQueryIR()
        message.aggregates = aggregates.map(\.wire)
        if let filter {
            message.filter = filter.wire
        }
        message.groupBy = groupBy.map(\.wire)
        return message
    }

    init(wire message: WireQueryIR) throws(QueryPlanRejection) {
        guard !message.aggregates.isEmpty else {
            throw QueryPlanRejection(.malformed, "the query selects no aggregate; it needs at least one (COUNT, AVG, VARIANCE, STDDEV)")
        }
        var aggregates: [Aggregate] = []
        for wireAggregate in message.aggregates {
            let aggregate = try Aggregate(wire: wireAggregate)
            guard !aggregates.contains(aggregate) else {
                throw QueryPlanRejection(.malformed, "the query selects \(aggregate.columnName) twice")
            }
            aggregates.append(aggregate)
        }
        var groupBy: [Grouping] = []
        for wireGrouping in message.groupBy {
            let grouping = try Grouping(wire: wireGrouping)
            guard !groupBy.contains(where: { $0.attribute == grouping.attribute }) else {
                throw QueryPlanRejection(.malformed, "the query groups by \(grouping.attribute) twice")
            }
            groupBy.append(grouping)
        }
        let binnings = groupBy.filter { if case .bin = $0 { true } else { false } }.count
        guard binnings <= 1 else {
            throw QueryPlanRejection(.malformed, "the query groups by \(binnings) binnings; at most one BIN(...) is allowed")
        }
        guard groupBy.count - binnings <= QueryParser.maximumCategoricalGroups else {
            throw QueryPlanRejection(
                .malformed,
                "the query groups by \(groupBy.count - binnings) categorical attributes; at most \(QueryParser.maximumCategoricalGroups) are allowed"
            )
        }
        let filter: Condition? = message.hasFilter ? try Condition(checkedWire: message.filter) : nil
        self.init(aggregates: aggregates, filter: filter, groupBy: groupBy)
    }
}

extension Aggregate {
    var wire: WireQueryIRAggregate {
        var message = WireQueryIRAggregate()
        switch self {
        case .studyCount: message.kind = .studyCount
        case .subjectCount: message.kind = .subjectCount
        case .mean(let attribute):
            message.kind = .mean
            message.attribute = attribute
        case .variance(let attribute):
            message.kind = .variance
            message.attribute = attribute
        case .standardDeviation(let attribute):
            message.kind = .standardDeviation
            message.attribute = attribute
        }
        return message
    }

    init(wire message: WireQueryIRAggregate) throws(QueryPlanRejection) {
        let statistic: (String) -> Aggregate
        switch message.kind {
        case .studyCount, .subjectCount:
            guard message.attribute.isEmpty else {
                throw QueryPlanRejection(.malformed, "a count of the query names the attribute '\(message.attribute)'; counts take none")
            }
            self = message.kind == .studyCount ? .studyCount : .subjectCount
            return
        case .mean: statistic = Aggregate.mean
        case .variance: statistic = Aggregate.variance
        case .standardDeviation: statistic = Aggregate.standardDeviation
        case .unspecified, .UNRECOGNIZED:
            throw QueryPlanRejection(.malformed, "an aggregate of the query has no known kind (\(message.kind.rawValue)); the sender may run a newer version")
        }
        guard !message.attribute.isEmpty else {
            throw QueryPlanRejection(.malformed, "a statistic of the query names no attribute")
        }
        self = statistic(message.attribute)
    }
}

extension Grouping {
    var wire: WireQueryIRGrouping {
        var message = WireQueryIRGrouping()
        message.attribute = attribute
        if case .bin(_, let lower, let upper, let count) = self {
            var bin = WireQueryIRBinning()
            bin.lower = WireDecoding.decimalText(lower)
            bin.upper = WireDecoding.decimalText(upper)
            bin.count = UInt32(clamping: count)
            message.bin = bin
        }
        return message
    }

    init(wire message: WireQueryIRGrouping) throws(QueryPlanRejection) {
        guard !message.attribute.isEmpty else {
            throw QueryPlanRejection(.malformed, "a grouping of the query names no attribute")
        }
        guard message.hasBin else {
            self = .attribute(message.attribute)
            return
        }
        let what = "BIN(\(message.attribute), ...)"
        let lower = try WireDecoding.decimal(message.bin.lower, "the lower bound of \(what)")
        let upper = try WireDecoding.decimal(message.bin.upper, "the upper bound of \(what)")
        guard lower < upper else {
            throw QueryPlanRejection(.malformed, "\(what) has lower bound \(lower) not below upper bound \(upper)")
        }
        guard (1...UInt32(QueryParser.maximumBins)).contains(message.bin.count) else {
            throw QueryPlanRejection(.malformed, "\(what) has \(message.bin.count) bins; from 1 to \(QueryParser.maximumBins) are allowed")
        }
        self = .bin(message.attribute, lower: lower, upper: upper, count: Int(message.bin.count))
    }
}

extension Literal {
    var wire: WireQueryIRLiteral {
        var message = WireQueryIRLiteral()
        switch self {
        case .text(let text): message.text = text
        case .number(let number): message.number = WireDecoding.decimalText(number)
        }
        return message
    }

    init(wire message: WireQueryIRLiteral, of attribute: String) throws(QueryPlanRejection) {
        switch message.value {
        case .text(let text)?: self = .text(text)
        case .number(let number)?: self = .number(try WireDecoding.decimal(number, "a value compared with \(attribute)"))
        case nil: throw QueryPlanRejection(.malformed, "a value compared with \(attribute) is empty (neither text nor number)")
        }
    }
}

extension ComparisonOperator {
    var wire: WireQueryIRComparisonOperator {
        switch self {
        case .equal: .equal
        case .notEqual: .notEqual
        case .less: .less
        case .lessOrEqual: .lessOrEqual
        case .greater: .greater
        case .greaterOrEqual: .greaterOrEqual
        }
    }

    init(wire: WireQueryIRComparisonOperator, of attribute: String) throws(QueryPlanRejection) {
        switch wire {
        case .equal: self = .equal
        case .notEqual: self = .notEqual
        case .less: self = .less
        case .lessOrEqual: self = .lessOrEqual
        case .greater: self = .greater
        case .greaterOrEqual: self = .greaterOrEqual
        case .unspecified, .UNRECOGNIZED:
            throw QueryPlanRejection(.malformed, "the comparison of \(attribute) has no known operator (\(wire.rawValue))")
        }
    }
}

extension Condition {
    /// Chains of AND (or OR) are flattened along their left spine, the way the parser builds
    /// them, so that `a AND b AND ... AND z` nests one message level, not one per operand.
    var wire: WireQueryIRCondition {
        var message = WireQueryIRCondition()
        switch self {
        case .comparison(let attribute, let op, let literal):
            var comparison = WireQueryIRComparison()
            comparison.attribute = attribute
            comparison.operator = op.wire
            comparison.literal = literal.wire
            message.comparison = comparison
        case .membership(let attribute, let literals, let negated):
            var membership = WireQueryIRMembership()
            membership.attribute = attribute
            membership.literals = literals.map(\.wire)
            membership.negated = negated
            message.membership = membership
        case .range(let attribute, let lower, let upper, let negated):
            var range = WireQueryIRRange()
            range.attribute = attribute
            range.lower = lower.wire
            range.upper = upper.wire
            range.negated = negated
            message.range = range
        case .isNull(let attribute, let negated):
            var test = WireQueryIRNullTest()
            test.attribute = attribute
            test.negated = negated
            message.nullTest = test
        case .and:
            var chain = WireQueryIRConditionChain()
            chain.operands = leftSpine(conjunction: true).map(\.wire)
            message.conjunction = chain
        case .or:
            var chain = WireQueryIRConditionChain()
            chain.operands = leftSpine(conjunction: false).map(\.wire)
            message.disjunction = chain
        case .not(let operand):
            message.negation = operand.wire
        }
        return message
    }

    /// `((a AND b) AND c)` as [a, b, c]; a right operand stays whole.
    private func leftSpine(conjunction: Bool) -> [Condition] {
        var operands: [Condition] = []
        var current = self
        while true {
            switch (current, conjunction) {
            case (.and(let left, let right), true), (.or(let left, let right), false):
                operands.append(right)
                current = left
            default:
                operands.append(current)
                return operands.reversed()
            }
        }
    }

    /// Decodes a condition after counting its tests without recursion: a plan from the wire
    /// is held to the parser's limits before anything recurses over it (the protobuf
    /// decoder already bounds message nesting, but one chain may hold any number of
    /// operands, and folds into a tree as deep as it is long).
    init(checkedWire message: WireQueryIRCondition) throws(QueryPlanRejection) {
        var pending = [message]
        var tests = 0
        while let next = pending.popLast() {
            switch next.kind {
            case .conjunction(let chain)?, .disjunction(let chain)?: pending += chain.operands
            case .negation(let operand)?: pending.append(operand)
            default: tests += 1
            }
            guard tests <= QueryParser.maximumConditions, pending.count <= QueryParser.maximumConditions * 2 else {
                throw QueryPlanRejection(.malformed, "the query's condition has more than \(QueryParser.maximumConditions) tests")
            }
        }
        try self.init(wire: message)
    }

    init(wire message: WireQueryIRCondition) throws(QueryPlanRejection) {
        switch message.kind {
        case .comparison(let comparison)?:
            let attribute = try Self.attribute(comparison.attribute, "a comparison")
            guard comparison.hasLiteral else {
                throw QueryPlanRejection(.malformed, "the comparison of \(attribute) has no value")
            }
            self = .comparison(
                attribute,
                try ComparisonOperator(wire: comparison.operator, of: attribute),
                try Literal(wire: comparison.literal, of: attribute)
            )
        case .membership(let membership)?:
            let attribute = try Self.attribute(membership.attribute, "an IN test")
            guard !membership.literals.isEmpty else {
                throw QueryPlanRejection(.malformed, "the IN test of \(attribute) lists no value")
            }
            var literals: [Literal] = []
            for literal in membership.literals {
                literals.append(try Literal(wire: literal, of: attribute))
            }
            self = .membership(attribute, literals, negated: membership.negated)
        case .range(let range)?:
            let attribute = try Self.attribute(range.attribute, "a BETWEEN test")
            guard range.hasLower, range.hasUpper else {
                throw QueryPlanRejection(.malformed, "the BETWEEN test of \(attribute) lacks a bound")
            }
            self = .range(
                attribute,
                lower: try Literal(wire: range.lower, of: attribute),
                upper: try Literal(wire: range.upper, of: attribute),
                negated: range.negated
            )
        case .nullTest(let test)?:
            self = .isNull(try Self.attribute(test.attribute, "an IS NULL test"), negated: test.negated)
        case .conjunction(let chain)?:
            self = try Self.fold(chain, operator: "AND", combine: Condition.and)
        case .disjunction(let chain)?:
            self = try Self.fold(chain, operator: "OR", combine: Condition.or)
        case .negation(let operand)?:
            self = .not(try Condition(wire: operand))
        case nil:
            throw QueryPlanRejection(.malformed, "a condition of the query is empty")
        }
    }

    private static func attribute(_ name: String, _ what: String) throws(QueryPlanRejection) -> String {
        guard !name.isEmpty else {
            throw QueryPlanRejection(.malformed, "\(what) of the query names no attribute")
        }
        return name
    }

    private static func fold(
        _ chain: WireQueryIRConditionChain,
        operator name: String,
        combine: (Condition, Condition) -> Condition
    ) throws(QueryPlanRejection) -> Condition {
        guard chain.operands.count >= 2 else {
            throw QueryPlanRejection(.malformed, "an \(name) of the query has \(chain.operands.count) operand(s); it needs at least two")
        }
        var result = try Condition(wire: chain.operands[0])
        for operand in chain.operands.dropFirst() {
            result = combine(result, try Condition(wire: operand))
        }
        return result
    }
}
