// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: Sampling, Config and Journal are leaves, Detection builds on
// Sampling's Sample, Daemon wires everything, and the executables only parse arguments.
let package = Package(
    name: "surgewatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "surgewatch", targets: ["surgewatch"]),
        .executable(name: "surgewatch-bench", targets: ["surgewatch-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // Listening sockets' accept queues over netlink (sock_diag), as `ss -lnt` reads them.
        .target(name: "CSampling"),
        .target(name: "SurgeSampling", dependencies: ["CSampling"]),
        // The Swift runtime's hooks that send global-executor jobs to the daemon's own thread.
        .target(name: "CGlobalJobs"),
        // glibc's malloc_trim (a header only; it is in libc).
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The application sources: HTTP probe, Prometheus scrapes, nginx stub_status, cgroups.
        .target(name: "SurgeSources", dependencies: ["SurgeSampling", "CCurl"]),
        // The model's kernels are optimised in debug builds too: unoptimised SIMD code is about
        // a thousand times slower, which would make every test that replays a trace crawl.
        .target(name: "SurgeModel", swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "SurgeDetection", dependencies: ["SurgeSampling", "SurgeConfig", "SurgeModel"]),
        // Trace generators for training and evaluation (`surgewatch simulate`).
        .target(name: "SurgeSimulation", dependencies: ["SurgeConfig", "SurgeDetection", "SurgeModel", "SurgeSampling"]),
        .target(
            name: "SurgeConfig",
            dependencies: ["SurgeSampling"]
        ),
        .target(
            name: "SurgeJournal",
            dependencies: ["CSystemd", "SurgeDetection", .product(name: "Logging", package: "swift-log")]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "SurgeStore", dependencies: ["CSQLite", "SurgeConfig", "SurgeDetection", "SurgeSampling"]),
        .target(
            name: "SurgeDaemon",
            dependencies: [
                "SurgeSampling", "SurgeSources", "SurgeDetection", "SurgeConfig", "SurgeJournal", "SurgeStore", "SurgeModel", "CGlobalJobs", "CMalloc",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "surgewatch",
            dependencies: [
                "SurgeDaemon", "SurgeConfig", "SurgeJournal", "SurgeStore", "SurgeDetection", "SurgeSimulation", "SurgeModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Allocation counter for surgewatch-bench only (it interposes malloc for its executable).
        .target(name: "CMallocCount"),
        .executableTarget(
            name: "surgewatch-bench",
            dependencies: [
                "SurgeSampling", "SurgeDetection", "SurgeStore", "SurgeJournal", "SurgeModel", "SurgeSimulation", "SurgeConfig", "SurgeDaemon", "CMallocCount",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers the test targets share (they cannot import each other); not shipped.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "SurgeSamplingTests",
            dependencies: ["SurgeSampling"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SurgeSourcesTests",
            dependencies: ["SurgeSources", "SurgeSampling", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "SurgeDetectionTests", dependencies: ["SurgeDetection"]),
        .testTarget(name: "SurgeSimulationTests", dependencies: ["SurgeSimulation", "SurgeDetection", "SurgeConfig", "SurgeSampling"]),
        .testTarget(
            name: "SurgeConfigTests",
            dependencies: ["SurgeConfig"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "SurgeModelTests", dependencies: ["SurgeModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SurgeStoreTests", dependencies: ["SurgeStore", "SurgeDetection", "SurgeSampling"]),
        .testTarget(
            name: "SurgeDaemonTests",
            dependencies: ["SurgeDaemon", "CGlobalJobs", "SurgeStore", "SurgeDetection", "SurgeConfig", "SurgeModel",
                           .product(name: "InMemoryLogging", package: "swift-log")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SurgewatchTests",
            dependencies: ["surgewatch", "surgewatch-bench", "SurgeDaemon", "SurgeStore", "SurgeDetection", "SurgeSampling", "TestSupport",
                           .product(name: "InMemoryLogging", package: "swift-log")],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
