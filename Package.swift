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
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "CImage",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("webp")]
        ),
        .target(
            name: "WiseCLIP",
            dependencies: ["WiseCore", "CImage", .target(name: "CBLAS", condition: .when(platforms: [.linux]))]
        ),
        .target(name: "WiseHub", dependencies: ["WiseCore", "WiseHTTP"]),
        .executableTarget(name: "clip-bench", dependencies: ["WiseCLIP"], path: "Benchmarks/clip-bench"),
        .target(name: "WiseCore"),
        .target(name: "WiseHTTP", dependencies: ["CCurl"]),
        .target(
            name: "WiseStore",
            dependencies: ["WiseCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(name: "WiseReport", dependencies: ["WiseCore"]),
        .target(name: "WiseJudges", dependencies: ["WiseCore", "WiseHTTP"]),
        .target(name: "WiseRunner", dependencies: ["WiseCore", "WiseStore"]),
        .executableTarget(
            name: "wise",
            dependencies: [
                "WiseCore", "WiseStore", "WiseHTTP", "WiseReport", "WiseJudges", "WiseRunner",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "wise-bench",
            dependencies: ["WiseCore", "WiseHTTP", "TestSupport"],
            path: "Benchmarks/wise-bench"
        ),
        .target(name: "TestSupport", dependencies: ["WiseCore"], path: "Tests/Support"),
        .testTarget(name: "WiseCLIPTests", dependencies: ["WiseCLIP", "WiseCore"], exclude: ["Fixtures"]),
        .testTarget(name: "WiseHubTests", dependencies: ["WiseHub", "WiseHTTP", "WiseCore", "TestSupport"]),
        .testTarget(name: "WiseCoreTests", dependencies: ["WiseCore", "TestSupport"]),
        .testTarget(name: "WiseHTTPTests", dependencies: ["WiseHTTP", "TestSupport"]),
        .testTarget(name: "WiseJudgesTests", dependencies: ["WiseJudges", "WiseCore", "WiseHTTP", "TestSupport"]),
        .testTarget(name: "WiseRunnerTests", dependencies: ["WiseRunner", "WiseStore", "WiseCore", "TestSupport"]),
        .testTarget(name: "WiseStoreTests", dependencies: ["WiseStore", "WiseCore", "TestSupport"]),
        .testTarget(name: "WiseReportTests", dependencies: ["WiseReport", "WiseCore", "TestSupport"]),
        .testTarget(
            name: "WiseEndToEndTests",
            dependencies: ["WiseCore", "WiseStore", "TestSupport", "wise"]
        ),
    ]
)
