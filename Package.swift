// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "bbtui",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bbtui", targets: ["bbtui"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        .target(name: "TerminalUI", swiftSettings: strict),
        // Fakes live in a target of their own, as swift-nio keeps its test helpers: the product
        // never links them.
        .target(name: "TerminalUITesting", dependencies: ["TerminalUI"], swiftSettings: strict),
        .target(name: "NcursesTerminal", dependencies: ["CNcursesw", "TerminalUI"], swiftSettings: strict),
        .target(
            name: "BitbucketEmulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BitbucketKit",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict
        ),
        .target(name: "App", dependencies: ["TerminalUI", "BitbucketKit"], swiftSettings: strict),
        .executableTarget(
            name: "bbtui",
            dependencies: [
                "BitbucketEmulator",
                "BitbucketKit",
                "App",
                "NcursesTerminal",
                "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TerminalUITests", dependencies: ["TerminalUI", "TerminalUITesting", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NcursesTerminalTests", dependencies: ["NcursesTerminal", "TerminalUI", "CNcursesw", "TestSupport"],
            swiftSettings: strict),
        .executableTarget(
            name: "BBTUIBench",
            dependencies: ["App", "TerminalUI", "NcursesTerminal", "BitbucketKit", "BitbucketEmulator", "CNcursesw"],
            path: "Benchmarks/BBTUIBench",
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["bbtui", "BitbucketKit", "BitbucketEmulator", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AppTests", dependencies: ["App", "TerminalUI", "TerminalUITesting", "BitbucketKit"],
            exclude: ["Snapshots"], swiftSettings: strict),
        // What test targets share: an awaited teardown scope, clean child processes.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(
            name: "BitbucketKitTests",
            dependencies: [
                "BitbucketKit", "BitbucketEmulator", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BitbucketEmulatorTests",
            dependencies: [
                "BitbucketEmulator", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
