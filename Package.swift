// swift-tools-version:6.0
import PackageDescription

// Kernels are pointer loops; these flags keep them at memory bandwidth (see shared compute notes). They also remove
// overflow traps and preconditions, so they are kept to the modules whose loops need them (tensors and kernels,
// layers, optimizers); everything that reads files (data sets, the zoo's weight readers, checkpoints) and the CLI
// build with plain -O: the readers check sizes explicitly, and an overflow a check missed stops the program instead of
// wrapping into an out-of-bounds access. Measured on an AMD EPYC, 1 thread: a MiniAlexNet fine-tuning run takes 1–3 %
// longer; the loader decodes JPEG→224 about 9 % slower (≈195 images/s, 20× what EfficientNet training consumes).
// Note: -Ounchecked drops the *argument* of precondition(), so never put work inside one.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]
let checked: [SwiftSetting] = []

let package = Package(
    name: "GrowingBrain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "grow", targets: ["grow"]),
        .library(name: "GrowingBrain", targets: ["Engine", "Datasets", "NN", "Training", "Growth", "Zoo", "Analysis", "Experiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries: with CKernels below, the only places C enters the project.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        // The few inner loops built once per instruction set (AVX-512, AVX2 + FMA, baseline) and picked at run time:
        // Swift compiles the whole program for one target, so these live in C (`Sources/CKernels`).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Layer 0: tensors, kernels (GEMM seam, im2col, pooling, elementwise), RNG, threads.
        .target(name: "Engine", dependencies: ["COpenBLAS", "CDNNL", "CKernels"], swiftSettings: fast),
        // Layer 0': data sets (IDX, CSV, image folders), transforms, few-shot sampling, loader, fetch.
        .target(name: "Datasets", dependencies: ["Engine", "CZlib", "CJPEG", "CPNG"], swiftSettings: checked),
        // Layer 1: layers with forward+backward, containers, loss, named parameters, safetensors.
        .target(name: "NN", dependencies: ["Engine"], swiftSettings: fast),
        // Layer 2: optimizers, schedules.
        .target(name: "Training", dependencies: ["Engine", "NN"], swiftSettings: fast),
        // Layer 3: growth operations (WA, DA, DWA, WWA, normalise-and-scale, inits), specs, fine-tuning depth.
        .target(name: "Growth", dependencies: ["Engine", "NN"], swiftSettings: fast),
        // Layer 4: architectures as data (MiniAlexNet, EfficientNet-Lite0, AlexNet, VGG16, ResNet-18/50): build,
        // preprocessing, the paper's layer roles, depth groups, external weights (safetensors, restricted .pth reader).
        .target(name: "Zoo", dependencies: ["Engine", "Datasets", "NN", "Growth"], swiftSettings: checked),
        // Layer 4': the paper's analyses of learned features: PCA, t-SNE, separability, unit selectivity, image grids.
        .target(name: "Analysis", dependencies: ["Engine", "Datasets"], swiftSettings: fast),
        // Layer 5: the paper's protocol: fine-tuning, evaluation, checkpoints, comparison, reports.
        .target(name: "Experiments", dependencies: ["Engine", "Datasets", "NN", "Training", "Growth", "Zoo", "Analysis"], swiftSettings: checked),
        // Data parallelism and the distributed grid on MPI (Open MPI); a process started without mpirun never initialises it.
        .target(name: "Distributed", dependencies: ["CMPI", "Engine", "NN", "Training"], swiftSettings: checked),
        // Benchmark workloads (kept out of the library proper).
        .target(name: "Benchmarks", dependencies: ["Engine", "Datasets", "NN", "Training", "Growth", "Zoo"], swiftSettings: fast),
        .executableTarget(name: "grow", dependencies: [
            "Engine", "NN", "Training", "Benchmarks", "Datasets", "Growth", "Zoo", "Experiments", "Distributed",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: checked),
        // Fuzz harness: replays inputs through one file reader; scripts/fuzz.sh builds it with libFuzzer + ASan.
        .executableTarget(name: "GrowFuzz", dependencies: ["Engine", "Datasets", "NN", "Zoo"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        .testTarget(name: "NNTests", dependencies: ["Engine", "NN", "Training"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Engine", "Datasets"]),
        .testTarget(name: "GrowthTests", dependencies: ["Engine", "NN", "Training", "Growth", "Zoo"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Engine", "NN", "Training", "Growth", "Zoo", "Analysis", "Experiments"]),
        .testTarget(name: "ZooTests", dependencies: ["Engine", "Datasets", "NN", "Training", "Growth", "Zoo"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["grow"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Engine", "Datasets", "Analysis"]),
        .testTarget(name: "TrainingTests", dependencies: ["Engine", "NN", "Training"], resources: [.copy("Fixtures")]),
    ]
)
