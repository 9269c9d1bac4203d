// swift-tools-version: 6.0
import PackageDescription

/// wise: a command-line harness that runs the WISE text-to-image benchmark end to end.
///
/// The core (catalogue, scoring) builds with no C library; each C library sits behind
/// its own small target (SQLite through GRDB in WiseStore, libcurl in CCurl/WiseHTTP).
let package = Package(
    name: "wise",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wise", targets: ["wise"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // OpenBLAS is loaded with dlopen when CLIP first needs it (see Sources/CBLAS/shim.h), not linked.
        .systemLibrary(name: "CBLAS"),
        .target(
            name: "CImage",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("webp")]
        ),
        .target(
            name: "WiseCLIP",
            dependencies: ["WiseCore", "WiseStats", "CImage", .target(name: "CBLAS", condition: .when(platforms: [.linux]))]
        ),
        .target(name: "WiseHub", dependencies: ["WiseCore", "WiseHTTP", "WiseAPI"]),
        .executableTarget(name: "clip-bench", dependencies: ["WiseCLIP"], path: "Benchmarks/clip-bench"),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "WiseCore", dependencies: ["WiseCrypto"]),
        .target(name: "WiseCrypto", dependencies: ["CCrypto"]),
        .target(name: "WiseHTTP", dependencies: ["CCurl"]),
        .target(name: "WiseAPI", dependencies: ["WiseCore", "WiseHTTP"]),
        .target(
            name: "WiseStore",
            dependencies: ["WiseCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(name: "WiseReport", dependencies: ["WiseCore", "WiseStats", "CImage"]),
        .target(name: "WiseStats", exclude: ["README.md"]),
        .target(name: "WiseJudges", dependencies: ["WiseCore", "WiseHTTP", "WiseAPI", "WiseCLIP", "WiseHub", "WiseStats", "WiseOptions", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "WiseRunner", dependencies: ["WiseCore", "WiseStore"]),
        .target(name: "WiseGenerators", dependencies: ["WiseCore", "WiseHTTP", "WiseAPI", "WiseOptions", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(
            name: "WiseOptions",
            dependencies: ["WiseCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(
            name: "WiseHarness",
            dependencies: [
                "WiseCore", "WiseStore", "WiseHTTP", "WiseAPI", "WiseReport", "WiseJudges", "WiseRunner", "WiseGenerators",
                "WiseStats", "WiseCLIP", "WiseHub", "WiseOptions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "wise",
            dependencies: [
                "WiseCore", "WiseStore", "WiseHTTP", "WiseReport", "WiseJudges", "WiseRunner", "WiseGenerators", "WiseStats",
                "WiseCLIP", "WiseHub", "WiseHarness", "WiseOptions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "wise-bench",
            dependencies: ["WiseCore", "WiseHTTP", "WiseCrypto", "WiseStore", "WiseRunner", "WiseGenerators", "WiseStats", "TestSupport"],
            path: "Benchmarks/wise-bench"
        ),
        .executableTarget(name: "stats-bench", dependencies: ["WiseStats"], path: "Benchmarks/stats-bench"),
        .target(name: "TestSupport", dependencies: ["WiseCore"], path: "Tests/Support"),
        .testTarget(name: "WiseCLIPTests", dependencies: ["WiseCLIP", "WiseJudges", "WiseCore"], exclude: ["Fixtures"]),
        .testTarget(name: "WiseHubTests", dependencies: ["WiseHub", "WiseHTTP", "WiseCore", "TestSupport"]),
        .testTarget(name: "WiseCoreTests", dependencies: ["WiseCore", "TestSupport"]),
        .testTarget(name: "WiseCryptoTests", dependencies: ["WiseCrypto"]),
        .testTarget(name: "WiseHTTPTests", dependencies: ["WiseHTTP", "TestSupport"]),
        .testTarget(name: "WiseJudgesTests", dependencies: ["WiseJudges", "WiseCore", "WiseHTTP", "WiseAPI", "TestSupport"]),
        .testTarget(name: "WiseAPITests", dependencies: ["WiseAPI", "WiseCore", "WiseHTTP", "TestSupport"]),
        .testTarget(name: "WiseRunnerTests", dependencies: ["WiseRunner", "WiseStore", "WiseCore", "TestSupport"]),
        .testTarget(name: "WiseHarnessTests", dependencies: ["WiseHarness", "WiseJudges", "WiseGenerators", "WiseStore", "WiseCore", "WiseStats", "TestSupport"]),
        .testTarget(name: "WiseStoreTests", dependencies: ["WiseStore", "WiseCore", "TestSupport"]),
        .testTarget(name: "WiseGeneratorsTests", dependencies: ["WiseGenerators", "WiseCore", "WiseHTTP", "TestSupport"]),
        .testTarget(name: "WiseReportTests", dependencies: ["WiseReport", "WiseCore", "WiseStats", "TestSupport"]),
        .testTarget(name: "WiseStatsTests", dependencies: ["WiseStats"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "WiseEndToEndTests",
            dependencies: ["WiseCore", "WiseStore", "WiseStats", "TestSupport", "wise"]
        ),
    ]
)
