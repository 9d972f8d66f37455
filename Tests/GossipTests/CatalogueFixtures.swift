import Foundation
import Gossip
import MeshCore
import X509

/// Certificates, schema and catalogues shared by the catalogue tests, made in memory.
struct CatalogueFixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    let ca: FederationCA
    let nodeA: Credential
    let nodeB: Credential
    let schema: Schema

    init() throws {
        ca = try FederationCA.create(now: Self.now)
        nodeA = try ca.issue(.node(try NodeID("hospital-a")), hosts: ["127.0.0.1"], now: Self.now)
        nodeB = try ca.issue(.node(try NodeID("hospital-b")), hosts: ["127.0.0.2"], now: Self.now)
        schema = try Schema(attributes: [
            Attribute(name: "subject_id", type: .key, level: .subject),
            Attribute(name: "sex", type: .categorical(vocabulary: ["M", "F", "O"]), level: .subject, coding: "DICOM"),
            Attribute(name: "diagnosis", type: .categorical(vocabulary: ["C50", "C61", "C34"]), level: .subject, coding: "ICD-10"),
            Attribute(name: "age_at_diagnosis", type: .numeric(unit: "years", scale: 1, minimum: 0, maximum: 120), level: .subject),
            Attribute(name: "slice_thickness_mm", type: .numeric(unit: "mm", scale: 2, minimum: nil, maximum: nil), level: .study, nullable: true),
        ])
    }

    static let policy = CataloguePolicy(minimumCellSize: 5, allowedQueryKinds: [.count, .histogram], maximumCellsPerQuery: 500)
    static let aggregationKey = [UInt8](repeating: 7, count: 32)

    static let summary = SiteSummary(
        subjectCount: 1234,
        categoricalCodes: ["sex": ["F", "M"], "diagnosis": ["C50"]],
        numericRanges: ["age_at_diagnosis": 234...917]
    )

    func catalogue(
        node: String = "hospital-a",
        version: UInt64 = 1,
        now: Date = CatalogueFixtures.now,
        summary: SiteSummary = CatalogueFixtures.summary,
        settings: CatalogueBuilder.Settings = CatalogueBuilder.Settings()
    ) throws -> Catalogue {
        try CatalogueBuilder(schema: schema, settings: settings).build(
            nodeID: try NodeID(node),
            siteName: "Hospital A",
            country: "DE",
            endpoints: ["127.0.0.1:7400"],
            summary: summary,
            policy: Self.policy,
            aggregationPublicKey: Self.aggregationKey,
            version: version,
            now: now
        )
    }

    func signed(version: UInt64 = 1, now: Date = CatalogueFixtures.now, by credential: Credential? = nil) throws -> SignedCatalogue {
        try CatalogueSigner(credential: credential ?? nodeA).sign(try catalogue(version: version, now: now))
    }

    func verifier(revocations: RevocationList = .empty) -> CatalogueVerifier {
        CatalogueVerifier(caCertificate: ca.certificate, revocations: revocations)
    }
}
