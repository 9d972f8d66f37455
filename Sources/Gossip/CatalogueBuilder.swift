import Foundation
import MeshCore

/// Builds a node's ``Catalogue`` from its full-precision ``SiteSummary``, applying the
/// disclosure rules of docs/ARCHITECTURE.md ("Capability catalogue") so that the catalogue says no more
/// than a released query result could:
///
/// - Subject counts below the node's k are published only as "<k" (``Catalogue/SubjectCount/belowK(k:)``);
///   from k up they are rounded to the nearest 10 (halves up), and never to 0, since a
///   dataset that has subjects must not look empty.
/// - Categoricals list the schema codes the site holds, in vocabulary order.
/// - Numeric ranges are rounded outwards to a coarse grid (``Settings/defaultNumericGrid``
///   whole units unless ``Settings/numericGrids`` says otherwise), then clamped to the
///   schema's declared bounds: an exact minimum or maximum would reveal the most extreme
///   subject, while the declared bounds are public anyway.
public struct CatalogueBuilder: Sendable {
    public struct Settings: Sendable {
        /// How long a catalogue is valid after it is signed. Default 24 hours.
        public var validitySeconds: TimeInterval = 24 * 3600
        /// Grid step, in the attribute's unit, for numeric ranges. Default 10.
        public var defaultNumericGrid: Decimal = 10
        /// Per-attribute grid steps overriding the default (e.g. 1 for slice_thickness_mm).
        public var numericGrids: [String: Decimal] = [:]
        /// Description published for the `cases` dataset.
        public var datasetDescription = "Imaging studies, one row per study"

        public init() {}
    }

    public let schema: Schema
    public let settings: Settings

    public init(schema: Schema, settings: Settings = Settings()) {
        self.schema = schema
        self.settings = settings
    }

    public func build(
        nodeID: NodeID,
        siteName: String,
        country: String,
        endpoints: [String],
        summary: SiteSummary,
        policy: CataloguePolicy,
        aggregationPublicKey: [UInt8],
        version: UInt64,
        now: Date
    ) throws(CatalogueBuildError) -> Catalogue {
        guard policy.minimumCellSize >= 1 else {
            throw CatalogueBuildError("the policy's minimum cell size k is \(policy.minimumCellSize); it must be at least 1")
        }
        guard policy.maximumCellsPerQuery >= 1 else {
            throw CatalogueBuildError("the policy's maximum cells per query is \(policy.maximumCellsPerQuery); it must be at least 1")
        }
        guard aggregationPublicKey.count == Catalogue.aggregationPublicKeyByteCount else {
            throw CatalogueBuildError("the X25519 aggregation public key has \(aggregationPublicKey.count) bytes; it must have 32")
        }
        guard summary.subjectCount >= 0 else {
            throw CatalogueBuildError("the site summary has a negative subject count (\(summary.subjectCount))")
        }
        for name in Set(summary.categoricalCodes.keys).union(summary.numericRanges.keys) where schema.attribute(named: name) == nil {
            throw CatalogueBuildError("the site summary describes '\(name)', which the schema does not declare")
        }
        var attributes: [Catalogue.AttributeDomain] = []
        for attribute in schema.queryableAttributes {
            attributes.append(
                Catalogue.AttributeDomain(
                    name: attribute.name,
                    level: attribute.level,
                    nullable: attribute.nullable,
                    coding: attribute.coding,
                    domain: try domain(of: attribute, summary: summary)
                )
            )
        }
        let issuedAt = UnixMilliseconds.from(now)
        return Catalogue(
            nodeID: nodeID,
            siteName: siteName,
            country: country,
            endpoints: endpoints,
            datasets: [
                Catalogue.Dataset(
                    name: schema.table,
                    description: settings.datasetDescription,
                    subjects: Self.publishedSubjects(summary.subjectCount, k: policy.minimumCellSize)
                )
            ],
            attributes: attributes,
            policy: policy,
            aggregationPublicKey: aggregationPublicKey,
            version: version,
            issuedAtMilliseconds: issuedAt,
            expiresAtMilliseconds: issuedAt + Int64(settings.validitySeconds * 1000)
        )
    }

    /// "<k" below k; otherwise the nearest multiple of 10 (halves up), at least 10.
    public static func publishedSubjects(_ count: Int, k: Int) -> Catalogue.SubjectCount {
        if count < k { return .belowK(k: k) }
        let rounded = (count + 5) / 10 * 10
        return .rounded(UInt64(max(rounded, 10)))
    }

    /// `range` widened to multiples of `grid` (floor below, ceiling above).
    public static func roundOutwards(_ range: ClosedRange<Int64>, grid: Int64) -> ClosedRange<Int64> {
        precondition(grid >= 1, "grid \(grid) must be positive")
        func floorToGrid(_ value: Int64) -> Int64 {
            let remainder = value % grid
            return remainder < 0 ? value - remainder - grid : value - remainder
        }
        func ceilToGrid(_ value: Int64) -> Int64 {
            let remainder = value % grid
            return remainder > 0 ? value - remainder + grid : value - remainder
        }
        return floorToGrid(range.lowerBound)...ceilToGrid(range.upperBound)
    }

    private func domain(of attribute: Attribute, summary: SiteSummary) throws(CatalogueBuildError) -> Catalogue.Domain {
        switch attribute.type {
        case .key:
            preconditionFailure("the subject key '\(attribute.name)' is never published")
        case .categorical(let vocabulary):
            let present = summary.categoricalCodes[attribute.name] ?? []
            if let unknown = present.subtracting(vocabulary).sorted().first {
                throw CatalogueBuildError("the site summary lists code '\(unknown)' for '\(attribute.name)', which is not in its schema vocabulary")
            }
            return .categorical(codes: vocabulary.filter(present.contains))
        case .numeric(let unit, let scale, let minimum, let maximum):
            guard let held = summary.numericRanges[attribute.name] else {
                return .numeric(unit: unit, scale: scale, range: nil)
            }
            let gridValue = settings.numericGrids[attribute.name] ?? settings.defaultNumericGrid
            guard let grid = Self.fixedPoint(gridValue, scaleFactor: attribute.scaleFactor, rounding: .up), grid >= 1 else {
                throw CatalogueBuildError("the numeric grid \(gridValue) of '\(attribute.name)' must be a positive number")
            }
            var range = Self.roundOutwards(held, grid: grid)
            // Clamp to the declared (public) bounds, rounded outwards to the scale.
            var lower = range.lowerBound
            var upper = range.upperBound
            if let minimum, let declared = Self.fixedPoint(minimum, scaleFactor: attribute.scaleFactor, rounding: .down) {
                lower = max(lower, min(declared, held.lowerBound))
            }
            if let maximum, let declared = Self.fixedPoint(maximum, scaleFactor: attribute.scaleFactor, rounding: .up) {
                upper = min(upper, max(declared, held.upperBound))
            }
            range = lower...upper
            return .numeric(unit: unit, scale: scale, range: range)
        }
    }

    private static func fixedPoint(_ value: Decimal, scaleFactor: Int64, rounding: NSDecimalNumber.RoundingMode) -> Int64? {
        var scaled = value * Decimal(scaleFactor)
        var result = Decimal()
        NSDecimalRound(&result, &scaled, 0, rounding)
        let number = NSDecimalNumber(decimal: result)
        guard number.compare(NSDecimalNumber(value: Int64.max)) != .orderedDescending,
            number.compare(NSDecimalNumber(value: Int64.min)) != .orderedAscending
        else { return nil }
        return number.int64Value
    }
}

/// A catalogue that cannot be built from the inputs given; the message names the input.
public struct CatalogueBuildError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
