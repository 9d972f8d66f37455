import Foundation
import MeshCore
import SwiftProtobuf

/// Conversion between ``Catalogue`` and its protobuf form `WireCatalogue` (Catalogue.proto).
/// Decoding validates what the wire cannot: node and researcher ID syntax, key length, that
/// every attribute has a domain and a level.
extension Catalogue {
    public var wire: WireCatalogue {
        var message = WireCatalogue()
        message.nodeID = nodeID.rawValue
        message.siteName = siteName
        message.country = country
        message.endpoints = endpoints
        message.datasets = datasets.map { dataset in
            var wire = WireDataset()
            wire.name = dataset.name
            wire.description_p = dataset.description
            switch dataset.subjects {
            case .rounded(let count): wire.subjectCount = count
            case .belowK: wire.belowK = true
            }
            return wire
        }
        message.attributes = attributes.map { attribute in
            var wire = WireAttributeDomain()
            wire.name = attribute.name
            wire.level = attribute.level == .subject ? .subject : .study
            wire.nullable = attribute.nullable
            wire.coding = attribute.coding ?? ""
            switch attribute.domain {
            case .categorical(let codes):
                var domain = WireCategoricalDomain()
                domain.codes = codes
                wire.categorical = domain
            case .numeric(let unit, let scale, let range):
                var domain = WireNumericDomain()
                domain.unit = unit ?? ""
                domain.scale = UInt32(scale)
                if let range {
                    var wireRange = WireNumericRange()
                    wireRange.minimum = range.lowerBound
                    wireRange.maximum = range.upperBound
                    domain.range = wireRange
                }
                wire.numeric = domain
            }
            return wire
        }
        var wirePolicy = WirePolicy()
        wirePolicy.minimumCellSize = UInt32(clamping: policy.minimumCellSize)
        wirePolicy.allowedQueryKinds = CataloguePolicy.QueryKind.allCases.filter(policy.allowedQueryKinds.contains).map(\.wire)
        wirePolicy.maximumCellsPerQuery = UInt32(clamping: policy.maximumCellsPerQuery)
        wirePolicy.researchersRestricted = policy.allowedResearchers != nil
        wirePolicy.allowedResearchers = (policy.allowedResearchers ?? []).sorted().map(\.rawValue)
        wirePolicy.noiseSigma = policy.noiseSigma
        message.policy = wirePolicy
        message.aggregationPublicKey = Data(aggregationPublicKey)
        message.version = version
        message.issuedAtMs = issuedAtMilliseconds
        message.expiresAtMs = expiresAtMilliseconds
        return message
    }

    /// The payload a node signs: the deterministic protobuf encoding of ``wire``.
    public func encoded() -> [UInt8] {
        // Encoding a fully-populated proto3 message cannot fail.
        try! wire.serializedBytes()
    }

    /// Decodes and validates a payload.
    public init(decoding payload: [UInt8]) throws(CatalogueRejection) {
        let message: WireCatalogue
        do {
            message = try WireCatalogue(serializedBytes: payload)
        } catch {
            throw CatalogueRejection(.malformed, "the catalogue payload is not a protobuf Catalogue: \(error)")
        }
        try self.init(wire: message)
    }

    public init(wire message: WireCatalogue) throws(CatalogueRejection) {
        let nodeID: NodeID
        do {
            nodeID = try NodeID(message.nodeID)
        } catch {
            throw CatalogueRejection(.malformed, "the catalogue's node ID is invalid: \(error.message)")
        }
        func malformed(_ text: String) -> CatalogueRejection {
            CatalogueRejection(.malformed, "catalogue of \(nodeID): \(text)")
        }
        guard message.aggregationPublicKey.count == Self.aggregationPublicKeyByteCount else {
            throw malformed("the aggregation public key has \(message.aggregationPublicKey.count) bytes, not 32")
        }
        guard message.hasPolicy else { throw malformed("no policy") }
        var attributes: [AttributeDomain] = []
        for wire in message.attributes {
            let level: Attribute.Level
            switch wire.level {
            case .subject: level = .subject
            case .study: level = .study
            default: throw malformed("attribute '\(wire.name)' has no level")
            }
            let domain: Domain
            switch wire.domain {
            case .categorical(let categorical):
                domain = .categorical(codes: categorical.codes)
            case .numeric(let numeric):
                var range: ClosedRange<Int64>?
                if numeric.hasRange {
                    guard numeric.range.minimum <= numeric.range.maximum else {
                        throw malformed("attribute '\(wire.name)' has a range whose minimum is above its maximum")
                    }
                    range = numeric.range.minimum...numeric.range.maximum
                }
                domain = .numeric(unit: numeric.unit.isEmpty ? nil : numeric.unit, scale: Int(numeric.scale), range: range)
            case nil:
                throw malformed("attribute '\(wire.name)' has no domain")
            }
            attributes.append(
                AttributeDomain(name: wire.name, level: level, nullable: wire.nullable, coding: wire.coding.isEmpty ? nil : wire.coding, domain: domain)
            )
        }
        let k = Int(message.policy.minimumCellSize)
        guard k >= 1, message.policy.maximumCellsPerQuery >= 1 else {
            throw malformed("the policy needs a minimum cell size and a maximum cells per query of at least 1")
        }
        var researchers: Set<ResearcherID> = []
        for text in message.policy.allowedResearchers {
            do {
                researchers.insert(try ResearcherID(text))
            } catch {
                throw malformed("allowed researcher: \(error.message)")
            }
        }
        let sigma = message.policy.noiseSigma
        guard sigma.isFinite, sigma >= 0, sigma <= CataloguePolicy.noiseSigmaMax else {
            throw malformed("the policy's noise sigma \(sigma) is not a number from 0 to \(CataloguePolicy.noiseSigmaMax)")
        }
        // Unknown query kinds (from a newer node) are ignored: this node cannot plan them.
        let kinds = Set(message.policy.allowedQueryKinds.compactMap(CataloguePolicy.QueryKind.init(wire:)))
        self.init(
            nodeID: nodeID,
            siteName: message.siteName,
            country: message.country,
            endpoints: message.endpoints,
            datasets: message.datasets.map { wire in
                Dataset(name: wire.name, description: wire.description_p, subjects: wire.belowK ? .belowK(k: k) : .rounded(wire.subjectCount))
            },
            attributes: attributes,
            policy: CataloguePolicy(
                minimumCellSize: k,
                allowedQueryKinds: kinds,
                maximumCellsPerQuery: Int(message.policy.maximumCellsPerQuery),
                allowedResearchers: message.policy.researchersRestricted ? researchers : nil,
                noiseSigma: sigma
            ),
            aggregationPublicKey: Array(message.aggregationPublicKey),
            version: message.version,
            issuedAtMilliseconds: message.issuedAtMs,
            expiresAtMilliseconds: message.expiresAtMs
        )
    }
}

extension CataloguePolicy.QueryKind {
    var wire: WireQueryKind {
        switch self {
        case .count: .count
        case .histogram: .histogram
        case .statistics: .statistics
        }
    }

    init?(wire: WireQueryKind) {
        switch wire {
        case .count: self = .count
        case .histogram: self = .histogram
        case .statistics: self = .statistics
        default: return nil
        }
    }
}
