// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "engage",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "engage", targets: ["engage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "5.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
    ],
    targets: [
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "Wire", dependencies: ["CZeroMQ"]),
        .target(name: "Dataset"),
        .target(name: "ModelZoo", dependencies: ["Dataset"]),
        .target(name: "Training", dependencies: ["ModelZoo", "Dataset"]),
        .target(name: "Registry", dependencies: ["ModelZoo", "Dataset", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Report", dependencies: ["Registry", "ModelZoo", "Dataset"]),
        .target(name: "Coordinator", dependencies: ["Wire", "Dataset", "ModelZoo", "Training", "Registry", "Yams", .product(name: "Logging", package: "swift-log"),
                                              .product(name: "Prometheus", package: "swift-prometheus")]),
        .target(name: "Worker", dependencies: ["Wire", "Dataset", "ModelZoo", "Training", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Serving", dependencies: ["Registry", "ModelZoo", "Dataset", "Training", .product(name: "Logging", package: "swift-log")]),
        .target(name: "ServingHTTP", dependencies: ["Serving", "Registry", "ModelZoo", "Dataset", "Wire",
                                              .product(name: "Hummingbird", package: "hummingbird"),
                                              .product(name: "Logging", package: "swift-log"),
                                              .product(name: "Prometheus", package: "swift-prometheus"),
                                              .product(name: "Metrics", package: "swift-metrics")]),
        .executableTarget(name: "engage", dependencies: [
            "Coordinator", "Serving", "ServingHTTP", "Worker", "Registry", "Report", "Dataset", "ModelZoo", "Training", "Wire", "Yams",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", dependencies: ["Wire", "ModelZoo"], path: "Tests/TestSupport"),
        .testTarget(name: "WireTests", dependencies: ["Wire", "TestSupport"]),
        .testTarget(name: "DatasetTests", dependencies: ["Dataset", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelZooTests", dependencies: ["ModelZoo", "Dataset"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "ModelZoo", "Dataset"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Registry", "ModelZoo", "Dataset", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "ModelZoo", "TestSupport"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Dataset", "ModelZoo", "Training", "Registry", "Wire", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Wire", "Dataset", "Training", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ServeTests", dependencies: ["Serving", "ServingHTTP", "Registry", "Dataset", "ModelZoo", "Training", "Coordinator", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "IntegrationTests", dependencies: ["Registry", "Dataset", "Wire", "ModelZoo", "Training", "Coordinator", "TestSupport"]),
    ]
)
