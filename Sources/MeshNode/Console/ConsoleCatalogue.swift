import Foundation
import Gossip
import MeshCore

/// `GET /v1/catalogue`: the union of the verified catalogues the node holds, arranged for
/// picking a query: per attribute its type and which providers hold it, per code and per
/// numeric range who holds it, and per provider its policy as it applies to this researcher.
/// Everything here is what the providers publish (coarse counts, ranges rounded outwards).
struct ConsoleCatalogue: Codable, Equatable, Sendable {
    struct Provider: Codable, Equatable, Sendable {
        var nodeID: String
        var siteName: String
        var country: String
        /// Whether the node asked sees it alive (the origin itself always is): only live
        /// providers are asked.
        var live: Bool
        /// Published subject count per dataset, rounded to 10 or "<k".
        var subjects: String
        var catalogueVersion: UInt64
        var expiresAt: Date
        var policy: Policy

        enum CodingKeys: String, CodingKey {
            case country, live, subjects, policy
            case nodeID = "node_id"
            case siteName = "site_name"
            case catalogueVersion = "catalogue_version"
            case expiresAt = "expires_at"
        }
    }

    struct Policy: Codable, Equatable, Sendable {
        /// k: the fewest persons a released cell may stand for.
        var k: Int
        var allowedQueryKinds: [String]
        var maximumCellsPerQuery: Int
        var noiseSigma: Double
        /// Whether the provider's access list lets this researcher ask (the list itself is not
        /// shown: it names other researchers).
        var answersYou: Bool

        enum CodingKeys: String, CodingKey {
            case k
            case allowedQueryKinds = "allowed_query_kinds"
            case maximumCellsPerQuery = "maximum_cells_per_query"
            case noiseSigma = "noise_sigma"
            case answersYou = "answers_you"
        }
    }

    struct Attribute: Codable, Equatable, Sendable {
        var name: String
        /// categorical or numeric.
        var type: String
        /// subject or study.
        var level: String
        var coding: String?
        var unit: String?
        var providers: [String]
        /// For categorical attributes: each code and who holds it, in vocabulary order.
        var codes: [Code]?
        /// For numeric attributes: the smallest and largest published value over every
        /// provider, and each provider's published range.
        var range: NumericRange?
        var ranges: [ProviderRange]?
    }

    struct Code: Codable, Equatable, Sendable {
        var code: String
        var providers: [String]
    }

    struct NumericRange: Codable, Equatable, Sendable {
        var min: Double
        var max: Double
    }

    struct ProviderRange: Codable, Equatable, Sendable {
        var provider: String
        var min: Double
        var max: Double
    }

    var origin: String
    var researcher: String
    var fetchedAt: Date
    var table: String
    var providers: [Provider]
    var attributes: [Attribute]
    /// Catalogues the node showed that did not verify against the federation CA here.
    var rejected: [String]

    enum CodingKeys: String, CodingKey {
        case origin, researcher, table, providers, attributes, rejected
        case fetchedAt = "fetched_at"
    }

    init(_ snapshot: ConsoleMeshSnapshot, researcher: ResearcherID) {
        let live = snapshot.livePeers.union([snapshot.origin])
        let catalogues = snapshot.catalogues.sorted { $0.nodeID < $1.nodeID }
        origin = snapshot.origin.rawValue
        self.researcher = researcher.rawValue
        fetchedAt = snapshot.fetchedAt
        table = "cases"
        rejected = snapshot.rejected
        providers = catalogues.map { catalogue in
            Provider(
                nodeID: catalogue.nodeID.rawValue,
                siteName: catalogue.siteName,
                country: catalogue.country,
                live: live.contains(catalogue.nodeID),
                subjects: catalogue.datasets.map { "\($0.subjects)" }.joined(separator: ", "),
                catalogueVersion: catalogue.version,
                expiresAt: UnixMilliseconds.date(catalogue.expiresAtMilliseconds),
                policy: Policy(
                    k: catalogue.policy.minimumCellSize,
                    allowedQueryKinds: catalogue.policy.allowedQueryKinds.map(\.rawValue).sorted(),
                    maximumCellsPerQuery: catalogue.policy.maximumCellsPerQuery,
                    noiseSigma: catalogue.policy.noiseSigma,
                    answersYou: catalogue.policy.allowedResearchers.map { $0.contains(researcher) } ?? true
                )
            )
        }
        var order: [String] = []
        var byName: [String: Attribute] = [:]
        for catalogue in catalogues {
            let provider = catalogue.nodeID.rawValue
            for domain in catalogue.attributes {
                if byName[domain.name] == nil {
                    order.append(domain.name)
                    byName[domain.name] = Attribute(
                        name: domain.name, type: "categorical", level: domain.level.rawValue, coding: domain.coding, unit: nil, providers: []
                    )
                }
                var attribute = byName[domain.name]!
                attribute.providers.append(provider)
                switch domain.domain {
                case .categorical(let codes):
                    var merged = attribute.codes ?? []
                    for code in codes {
                        if let index = merged.firstIndex(where: { $0.code == code }) {
                            merged[index].providers.append(provider)
                        } else {
                            merged.append(Code(code: code, providers: [provider]))
                        }
                    }
                    attribute.codes = merged
                case .numeric(let unit, let scale, let range):
                    attribute.type = "numeric"
                    attribute.unit = attribute.unit ?? unit
                    if let range {
                        let divisor = pow(10.0, Double(scale))
                        let published = ProviderRange(provider: provider, min: Double(range.lowerBound) / divisor, max: Double(range.upperBound) / divisor)
                        attribute.ranges = (attribute.ranges ?? []) + [published]
                        attribute.range = NumericRange(
                            min: Swift.min(attribute.range?.min ?? published.min, published.min),
                            max: Swift.max(attribute.range?.max ?? published.max, published.max)
                        )
                    }
                }
                byName[domain.name] = attribute
            }
        }
        attributes = order.map { byName[$0]! }
    }
}
