import Foundation
import XCTest
import Engine
import Datasets
import NN
@testable import Zoo

/// EfficientNet-Lite0 with its real ImageNet weights: strict loading, logits equal to an independent
/// PyTorch definition (scripts/make_efficientnet_fixture.py), and top-1 on foolbox's 20 ImageNet photos.
/// The weight-dependent tests skip when `scripts/fetch_data.sh` has not fetched the weights.
final class EfficientNetLiteTests: XCTestCase {
    /// `$GROW_DATA_DIR`, else the repository's `data` folder.
    static let dataDir: String = {
        if let env = ProcessInfo.processInfo.environment["GROW_DATA_DIR"], !env.isEmpty { return env }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data").path
    }()

    /// The pretrained model in evaluation mode, built and loaded once for all tests.
    nonisolated(unsafe) static var cached: Sequential?

    override func setUp() { Threads.set(1) }

    func pretrained() throws -> Sequential {
        let path = EfficientNetLite.weightsPath(dataDir: Self.dataDir)
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("EfficientNet-Lite0 weights not found at \(path): run scripts/fetch_data.sh or set GROW_DATA_DIR")
        }
        if let m = Self.cached { return m }
        let m = try EfficientNetLite.pretrained(dataDir: Self.dataDir, seed: 1)
        m.setTraining(false)
        Self.cached = m
        return m
    }

    func testArchitectureMatchesTheSpec() {
        let model = EfficientNetLite.build(seed: 1)
        XCTAssertEqual(model.children.map(\.0), ["_conv_stem", "_bn0", "stem_act", "_blocks", "_conv_head", "_bn1", "head_act",
                                                  "pool", "dropout", "_fc"])
        let blocks = model.layer(at: "_blocks")!.children
        XCTAssertEqual(blocks.map(\.0), (0..<16).map(String.init))
        // Residual exactly where stride is 1 and channels are kept: all but each stage's first block.
        XCTAssertEqual(blocks.map { $0.1 is Residual }, [false, false, true, false, true, false, true, true, false, true, true,
                                                          false, true, true, true, false])
        XCTAssertEqual(model.layer(at: "_blocks.0")!.children.map(\.0),
                       ["_depthwise_conv", "_bn1", "depthwise_act", "_project_conv", "_bn2"])
        XCTAssertEqual(model.layer(at: "_blocks.1")!.children.map(\.0),
                       ["_expand_conv", "_bn0", "expand_act", "_depthwise_conv", "_bn1", "depthwise_act", "_project_conv", "_bn2"])
        let dw = model.layer(at: "_blocks.15._depthwise_conv") as! Conv2d
        XCTAssertEqual(dw.weight.value.shape, [1152, 1, 3, 3])
        XCTAssertEqual(dw.groups, 1152)
        XCTAssertEqual((model.layer(at: "_blocks.10._bn1") as! BatchNorm).eps, 1e-3)
        let stateDict = model.stateDict()
        XCTAssertEqual(stateDict.count, 247)
        // 4,694,024 float values; the file's 49 int64 num_batches_tracked scalars make 4,694,073.
        XCTAssertEqual(stateDict.reduce(0) { $0 + $1.tensor.count }, 4_694_024)
        // TF "SAME": 224 → 112 → 56 → 28 → 14 → 7, and 1000 logits from 1280 pooled features.
        model.setTraining(false)
        XCTAssertEqual(model.forward(Tensor(zeros: [1, 3, 64, 64])).shape, [1, 1000])
        XCTAssertEqual(EfficientNetLite.build(classes: 10, seed: 1).forward(Tensor(zeros: [2, 3, 33, 33])).shape, [2, 10])
    }

    func testRealWeightsLoadStrictly() throws {
        let model = try pretrained()  // loaded strictly: every name and shape matched (skips without the weights)
        let file = try TorchStateDict(contentsOf: URL(fileURLWithPath: EfficientNetLite.weightsPath(dataDir: Self.dataDir)))
        XCTAssertEqual(file.order.count, 296)
        XCTAssertEqual(file.tensors.count, 247)
        XCTAssertEqual(file.integers.count, 49)
        XCTAssertTrue(file.integers.keys.allSatisfy { $0.hasSuffix(".num_batches_tracked") })
        XCTAssertEqual(Set(model.stateDict().map(\.name)), Set(file.tensors.keys))
        for (name, t) in model.stateDict() { XCTAssertEqual(t.array, file.tensors[name]!.array, name) }
        // A missing or extra name is refused, with the names listed.
        var extra = file.tensors
        extra["_fc.extra"] = Tensor(zeros: [1])
        extra["_bn1.bias"] = nil
        XCTAssertThrowsError(try EfficientNetLite.build(seed: 2).load(extra, origin: "edited")) {
            XCTAssertTrue(String(describing: $0).contains("missing _bn1.bias [1280]; unexpected _fc.extra"), "\($0)")
        }
        // A new head for another task keeps every ImageNet weight but the classifier.
        let tenWay = try EfficientNetLite.pretrained(dataDir: Self.dataDir, classes: 10, seed: 3)
        XCTAssertEqual((tenWay.layer(at: "_conv_head") as! Conv2d).weight.value.array, file.tensors["_conv_head.weight"]!.array)
        XCTAssertEqual((tenWay.layer(at: "_fc") as! Linear).weight.value.shape, [10, 1280])
    }

    /// Logits on a fixed preprocessed input against PyTorch's, within 1e-4 of the logits' scale.
    func testLogitsMatchPyTorchReference() throws {
        let model = try pretrained()
        let url = try XCTUnwrap(Bundle.module.url(forResource: "efficientnet_lite0_reference", withExtension: "safetensors",
                                                  subdirectory: "Fixtures"), "run scripts/make_efficientnet_fixture.py")
        let ref = try SafeTensors.read(contentsOf: url)
        let input = try XCTUnwrap(ref.tensors["input"]), expected = try XCTUnwrap(ref.tensors["logits"])
        let logits = model.forward(input)
        XCTAssertEqual(logits.shape, expected.shape)
        let scale = expected.array.map(abs).max()!
        let (diff, at) = zip(logits.array, expected.array).enumerated().map { (abs($0.element.0 - $0.element.1), $0.offset) }.max { $0.0 < $1.0 }!
        print("EfficientNet-Lite0 vs PyTorch: max |Δlogit| \(diff) at class \(at) (\(logits.array[at]) vs \(expected.array[at])), "
              + "logit scale \(scale), relative \(diff / scale)")
        XCTAssertLessThanOrEqual(diff / scale, 1e-4, "logits differ from PyTorch's beyond 1e-4 of their scale; "
                                 + "check SAME padding, BatchNorm eps and the residual rule")
    }

    /// Top-1 on foolbox's 20 ImageNet photos through the project's JPEG decoder and EvalTransform.
    func testTop1OnFoolboxImageNetImages() throws {
        let model = try pretrained()
        let names = try ImageNetClasses.load(dataDir: Self.dataDir)
        let images = try ImageFileDataset.foolbox("imagenet", dataDir: Self.dataDir)
        let transform = EvalTransform(EfficientNetLite.preprocessing)
        let plane = transform.outputShape.reduce(1, *)
        let batch = Tensor(uninitialized: [images.count] + transform.outputShape)
        var rng = RNG(seed: 0)
        for i in 0..<images.count { try transform.apply(try images.image(at: i), rng: &rng, into: batch.pointer + i * plane) }
        let logits = model.forward(batch)
        var correct = 0
        for i in 0..<images.count {
            let row = Array(UnsafeBufferPointer(start: logits.pointer + i * 1000, count: 1000))
            let top = row.indices.max { row[$0] < row[$1] }!, label = images.label(at: i)
            if top == label { correct += 1 }
            print("  \((images.files[i] as NSString).lastPathComponent): top-1 \(top) \(names[top])"
                  + (top == label ? "" : "   ✗ (label \(label) \(names[label]))"))
        }
        print("EfficientNet-Lite0 top-1 on the foolbox ImageNet images: \(correct)/\(images.count)")
        XCTAssertGreaterThanOrEqual(correct, 16, "expected ≥ 16/20 (PyTorch with PIL preprocessing gets 17/20)")
    }

    /// Inference time per 224 px image (run on demand: `GROW_EFFNET_TIMING=1`, threads from `GROW_THREADS`;
    /// meaningful in a release build: `swift test -c release --filter testInferenceTiming`).
    func testInferenceTiming() throws {
        guard ProcessInfo.processInfo.environment["GROW_EFFNET_TIMING"] == "1" else { throw XCTSkip("set GROW_EFFNET_TIMING=1 to time inference") }
        let model = try pretrained()
        Threads.configureDefault()
        for batch in [1, 8] {
            let x = Tensor(shape: [batch, 3, 224, 224], repeating: 0.1)
            _ = model.forward(x)  // warm-up
            let rounds = batch == 1 ? 10 : 3
            // Wall time, and process CPU time (all threads), which a busy shared machine inflates less.
            func cpu() -> Double { var t = timespec(); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6 }
            var best = Double.infinity, bestCPU = Double.infinity
            for _ in 0..<rounds {
                let t0 = DispatchTime.now().uptimeNanoseconds, c0 = cpu()
                _ = model.forward(x)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 / Double(batch))
                bestCPU = min(bestCPU, (cpu() - c0) / Double(batch))
            }
            print("EfficientNet-Lite0 inference at 224 px, batch \(batch), \(Threads.count) thread(s): \(String(format: "%.1f", best)) ms/image wall, "
                  + "\(String(format: "%.1f", bestCPU)) ms/image CPU (best of \(rounds))")
        }
    }

    func testImageNetClassNames() throws {
        guard FileManager.default.fileExists(atPath: ImageNetClasses.path(dataDir: Self.dataDir)) else {
            throw XCTSkip("no \(ImageNetClasses.path(dataDir: Self.dataDir)): run scripts/fetch_data.sh or set GROW_DATA_DIR")
        }
        let names = try ImageNetClasses.load(dataDir: Self.dataDir)
        XCTAssertEqual(names.count, 1000)
        XCTAssertEqual([names[0], names[243], names[282], names[559], names[967]],
                       ["tench", "bull mastiff", "tiger cat", "folding chair", "espresso"])
        XCTAssertThrowsError(try ImageNetClasses.load(dataDir: "/nonexistent")) {
            XCTAssertTrue(String(describing: $0).hasPrefix("/nonexistent/imagenet/classes.txt: "), "\($0)")
        }
    }
}
