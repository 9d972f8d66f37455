// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for what a node decodes from others: frames and envelopes off the
// wire (FuzzFrames), every query, catalogue, membership and revocation message
// (FuzzWire), researchers' SQL (FuzzSQL), and operators' node.yaml (FuzzConfig). A separate package, like Benchmarks, so
// that the root package's build never needs the fuzzer runtime; `make fuzz` builds it with
// `-sanitize=fuzzer,address` and runs each target for a bounded time over the corpus in
// Corpus/. Each target's main.swift is compiled with -parse-as-library and defines the
// executable's entry point, `<Target>_main` (the symbol SwiftPM links as `main`), which runs
// libFuzzer's driver over the target's input function.

let package = Package(
    name: "OncoMeshFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "OncoMesh", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "FuzzFrames",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "Transport", package: "OncoMesh"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzWire",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "QueryPlanner", package: "OncoMesh"),
                .product(name: "Gossip", package: "OncoMesh"),
                .product(name: "Aggregation", package: "OncoMesh"),
                .product(name: "MeshCore", package: "OncoMesh"),
            ]
        ),
        .executableTarget(
            name: "FuzzSQL",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "Aggregation", package: "OncoMesh"),
                .product(name: "QueryPlanner", package: "OncoMesh"),
                .product(name: "MeshCore", package: "OncoMesh"),
            ]
        ),
        // The node's configuration loader, whose files (in the meshnode executable) are
        // linked into the target's directory.
        .executableTarget(
            name: "FuzzConfig",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "MeshCore", package: "OncoMesh"),
                .product(name: "Transport", package: "OncoMesh"),
                .product(name: "QueryPlanner", package: "OncoMesh"),
                .product(name: "Gossip", package: "OncoMesh"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ]
)
