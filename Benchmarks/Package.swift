// swift-tools-version:6.1
import PackageDescription

// Benchmarks of OncoMesh: LZ4 throughput against the `lz4` CLI, request round trips over
// one mutual-TLS connection on loopback, and federated query latency and throughput over a
// mesh of real `meshnode` processes (scripts/query-benchmark.sh starts the mesh).
//
// A separate package so that CI, which builds only the root package, never builds it; it
// depends on the root package by path. Run from this directory:
//
//     swift run -c release TransportBenchmark
//
// `name:` on the path dependency fixes the name that `.product(package:)` refers to;
// without it SwiftPM would use the checkout's directory name, which differs per clone.

let package = Package(
    name: "OncoMeshBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "OncoMesh", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "BenchmarkKit",
            dependencies: [
                .product(name: "Transport", package: "OncoMesh"),
                .product(name: "MeshCore", package: "OncoMesh"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "TransportBenchmark",
            dependencies: [
                "BenchmarkKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "QueryBenchmark",
            dependencies: [
                "BenchmarkKit",
                .product(name: "QueryPlanner", package: "OncoMesh"),
                .product(name: "Transport", package: "OncoMesh"),
                .product(name: "MeshCore", package: "OncoMesh"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "BenchmarkKitTests", dependencies: ["BenchmarkKit"]),
    ]
)
