import Foundation
import MeshCore

/// A node's capability catalogue (docs/ARCHITECTURE.md, "Capability catalogue"): what the site holds and
/// what it lets others ask, coarse enough to publish to the whole federation.
///
/// A value mirror of `WireCatalogue` (Catalogue.proto). It is built by ``CatalogueBuilder``,
/// which applies the disclosure rules (rounded counts, "<k", ranges rounded outwards), and
/// travels as a ``SignedCatalogue``. Times are unix milliseconds, the unit of the wire.
public struct Catalogue: Sendable, Equatable {
    public var nodeID: NodeID
    public var siteName: String
    /// ISO 3166-1 alpha-2, e.g. "DE".
    public var country: String
    /// Addresses peers dial, "host:port".
    public var endpoints: [String]
    public var datasets: [Dataset]
    public var attributes: [AttributeDomain]
    public var policy: CataloguePolicy
    /// X25519 public key (32 raw bytes) for secure aggregation.
    public var aggregationPublicKey: [UInt8]
    /// Raised by one at every re-signing; peers keep the highest version per node.
    public var version: UInt64
    public var issuedAtMilliseconds: Int64
    public var expiresAtMilliseconds: Int64

    public static let aggregationPublicKeyByteCount = 32

    public init(
        nodeID: NodeID,
        siteName: String,
        country: String,
        endpoints: [String],
        datasets: [Dataset],
        attributes: [AttributeDomain],
        policy: CataloguePolicy,
        aggregationPublicKey: [UInt8],
        version: UInt64,
        issuedAtMilliseconds: Int64,
        expiresAtMilliseconds: Int64
    ) {
        self.nodeID = nodeID
        self.siteName = siteName
        self.country = country
        self.endpoints = endpoints
        self.datasets = datasets
        self.attributes = attributes
        self.policy = policy
        self.aggregationPublicKey = aggregationPublicKey
        self.version = version
        self.issuedAtMilliseconds = issuedAtMilliseconds
        self.expiresAtMilliseconds = expiresAtMilliseconds
    }

    /// Whether the catalogue is past its expiry at `now` (expiry itself counts as expired).
    public func isExpired(at now: Date) -> Bool {
        UnixMilliseconds.from(now) >= expiresAtMilliseconds
    }

    /// One table of the site with its published subject count.
    public struct Dataset: Sendable, Equatable {
        public var name: String
        public var description: String
        public var subjects: SubjectCount

        public init(name: String, description: String, subjects: SubjectCount) {
            self.name = name
            self.description = description
            self.subjects = subjects
        }
    }

    /// A subject count as published: rounded to the nearest 10, or only "fewer than k". The
    /// true count of a small dataset is never represented, so it cannot leak by mistake.
    public enum SubjectCount: Sendable, Equatable, CustomStringConvertible {
        case rounded(UInt64)
        case belowK(k: Int)

        public var description: String {
            switch self {
            case .rounded(let count): "\(count)"
            case .belowK(let k): "<\(k)"
            }
        }
    }

    /// One queryable attribute and its published domain.
    public struct AttributeDomain: Sendable, Equatable {
        public var name: String
        public var level: Attribute.Level
        public var nullable: Bool
        /// Public vocabulary, e.g. "ICD-10".
        public var coding: String?
        public var domain: Domain

        public init(name: String, level: Attribute.Level, nullable: Bool, coding: String?, domain: Domain) {
            self.name = name
            self.level = level
            self.nullable = nullable
            self.coding = coding
            self.domain = domain
        }
    }

    public enum Domain: Sendable, Equatable {
        /// The coded levels the site holds, in schema vocabulary order.
        case categorical(codes: [String])
        /// Unit, decimal places, and the range of fixed-point values at that scale rounded
        /// outwards (nil when the site holds no non-null value).
        case numeric(unit: String?, scale: Int, range: ClosedRange<Int64>?)
    }
}

/// What a node allows queries to do (docs/ARCHITECTURE.md, "Capability catalogue").
public struct CataloguePolicy: Sendable, Equatable {
    public enum QueryKind: String, Sendable, Hashable, CaseIterable {
        /// COUNT(*) and COUNT(DISTINCT subject), with or without GROUP BY (cross-tabs).
        case count
        case histogram
        /// AVG, STDDEV and the like.
        case statistics
    }

    /// k: a cell is released only with at least this many distinct subjects.
    public var minimumCellSize: Int
    public var allowedQueryKinds: Set<QueryKind>
    public var maximumCellsPerQuery: Int
    /// The researchers the node answers: nil, every researcher of the federation; a set, only
    /// those (an empty set, nobody). An access list never fails open.
    public var allowedResearchers: Set<ResearcherID>?
    /// Standard deviation of the noise the node requires on every released count of a query
    /// it contributes to (docs/PRIVACY.md, "Noise"); 0 accepts exact release under k alone.
    public var noiseSigma: Double

    /// The largest noise a policy may ask for.
    public static let noiseSigmaMax = 1000.0

    public init(
        minimumCellSize: Int,
        allowedQueryKinds: Set<QueryKind> = Set(QueryKind.allCases),
        maximumCellsPerQuery: Int,
        allowedResearchers: Set<ResearcherID>? = nil,
        noiseSigma: Double = 0
    ) {
        self.minimumCellSize = minimumCellSize
        self.allowedQueryKinds = allowedQueryKinds
        self.maximumCellsPerQuery = maximumCellsPerQuery
        self.allowedResearchers = allowedResearchers
        self.noiseSigma = noiseSigma
    }
}
