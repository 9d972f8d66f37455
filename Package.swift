// swift-tools-version:6.1
import PackageDescription

// Dependency direction:
//   MeshCore <- {Gossip, Aggregation, SecureAggregation, Transport} <- QueryPlanner <- MeshNode
//   MeshCore, Aggregation <- SyntheticData <- {MeshNode, Simulation, the tests}
// Gossip, Aggregation, SecureAggregation, QueryPlanner and SyntheticData never import NIO.

let package = Package(
    name: "OncoMesh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "meshnode", targets: ["MeshNode"]),
        .executable(name: "meshsim", targets: ["meshsim"]),
        .library(name: "MeshCore", targets: ["MeshCore"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "Gossip", targets: ["Gossip"]),
        .library(name: "Aggregation", targets: ["Aggregation"]),
        .library(name: "QueryPlanner", targets: ["QueryPlanner"]),
        .library(name: "SecureAggregation", targets: ["SecureAggregation"]),
        .library(name: "SyntheticData", targets: ["SyntheticData"]),
        .library(name: "DICOM", targets: ["DICOM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        .target(
            name: "MeshCore",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "Transport",
            dependencies: [
                "MeshCore",
                "CLZ4",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Envelope.proto"]
        ),
        .target(
            name: "Gossip",
            dependencies: [
                "MeshCore",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            exclude: ["Membership.proto", "Catalogue.proto"]
        ),
        .target(
            name: "Aggregation",
            dependencies: [
                "MeshCore",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Partial.proto"]
        ),
        .target(
            name: "SecureAggregation",
            dependencies: ["MeshCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "DICOM"),
        .target(
            name: "SyntheticData",
            dependencies: ["MeshCore", "Aggregation"]
        ),
        .target(
            name: "QueryPlanner",
            dependencies: [
                "MeshCore",
                "Aggregation",
                "Gossip",
                "SecureAggregation",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["QueryPlan.proto"]
        ),
        .executableTarget(
            name: "MeshNode",
            dependencies: [
                "MeshCore",
                "Transport",
                "Gossip",
                "Aggregation",
                "QueryPlanner",
                "SecureAggregation",
                "SyntheticData",
                "DICOM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            resources: [.copy("Console/Page")]
        ),
        .target(
            name: "Simulation",
            dependencies: [
                "MeshCore",
                "Gossip",
                "Aggregation",
                "QueryPlanner",
                "SyntheticData",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "simulations/Sources/Simulation"
        ),
        .executableTarget(
            name: "meshsim",
            dependencies: ["Simulation", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "simulations/Sources/meshsim"
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "MeshCore", "Gossip"],
            path: "simulations/Tests/SimulationTests"
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "MeshCoreTests",
            dependencies: ["MeshCore", "TestSupport", .product(name: "X509", package: "swift-certificates")]
        ),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "Transport",
                "MeshCore",
                "TestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GossipTests",
            dependencies: [
                "Gossip", "MeshCore", "TestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(
            name: "AggregationTests",
            dependencies: ["Aggregation", "MeshCore", "QueryPlanner", "SyntheticData", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "DICOMTests",
            dependencies: ["DICOM", "TestSupport"],
            exclude: ["make_dicom_fixtures.py", "make_study_fixtures.py"]
        ),
        .testTarget(
            name: "SecureAggregationTests",
            dependencies: ["SecureAggregation", "MeshCore", "TestSupport"]
        ),
        .testTarget(
            name: "QueryPlannerTests",
            dependencies: [
                "QueryPlanner", "MeshCore", "Aggregation", "Gossip", "SecureAggregation", "TestSupport", .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "ConsoleTests",
            dependencies: [
                "MeshNode", "MeshCore", "QueryPlanner", "Gossip", "Aggregation", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["console_browser_test.py"]
        ),
        .testTarget(
            name: "MeshNodeTests",
            dependencies: [
                "MeshNode", "MeshCore", "Aggregation", "SyntheticData", "TestSupport", "QueryPlanner", "Transport", "Gossip",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "DICOM",
            ]
        ),
    ]
)
