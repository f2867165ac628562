import Foundation
import XCTest
import Engine
import NN
@testable import Zoo

/// AlexNet, VGG-16, ResNet-18 and ResNet-50 against torchvision 0.28 (fixtures from
/// scripts/make_torchvision_fixtures.py): the same state-dict names, shapes and order, and — with the
/// full-width deterministic weights of `DeterministicWeights` on both sides — the same eval-mode logits
/// within 1e-4 of their scale. PyTorch is not needed to run these tests.
final class TorchvisionLayoutTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func testAlexNet() throws { try check("alexnet") { AlexNet.build(classes: 1000, seed: 1, randomInit: false) } }
    func testVGG16() throws { try check("vgg16") { VGG.build16(classes: 1000, seed: 1, randomInit: false) } }
    func testResNet18() throws { try check("resnet18") { ResNet.build(depth: .resnet18, classes: 1000, seed: 1, randomInit: false) } }
    func testResNet50() throws { try check("resnet50") { ResNet.build(depth: .resnet50, classes: 1000, seed: 1, randomInit: false) } }

    /// Names, shapes and order against the fixture, then logits with deterministic weights.
    func check(_ arch: String, file: StaticString = #filePath, line: UInt = #line, _ build: () -> Sequential) throws {
        let t0 = Date()
        let model = build()
        let t1 = Date()
        try checkModules(model, arch, file: file, line: line)
        try checkLayout(model, arch, file: file, line: line)
        DeterministicWeights.fill(model)
        let t2 = Date()
        try checkLogits(model, arch, file: file, line: line)
        print("\(arch): build \(seconds(t0, t1)) s, layout + deterministic fill \(seconds(t1, t2)) s, forward \(seconds(t2, Date())) s")
    }

    /// torchvision class → ours, where the names differ.
    static let kinds = ["BatchNorm2d": "BatchNorm", "BasicBlock": "Residual", "Bottleneck": "Residual"]

    /// The layers growth code addresses by name (two levels: "layer2", "layer2.0", "classifier.6") exist with
    /// torchvision's names, order and kinds. Ours adds only `flatten` (torchvision calls torch.flatten) and
    /// stands ResNet's AdaptiveAvgPool2d(1) + flatten by GlobalAvgPool.
    func checkModules(_ model: Sequential, _ arch: String, file: StaticString, line: UInt) throws {
        let text = try String(contentsOf: try url("torchvision_\(arch)_modules", "txt"), encoding: .utf8)
        let expected = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line -> String in
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            let kind = Self.kinds[String(parts[1])] ?? String(parts[1])
            return "\(parts[0]) \(kind == "AdaptiveAvgPool2d" && parts[2].contains("(1, 1)") ? "GlobalAvgPool" : kind)"
        }
        let ours = model.namedLayers().filter { !$0.name.isEmpty && $0.name.split(separator: ".").count <= 2 && $0.name != "flatten" }
            .map { "\($0.name) \(type(of: $0.layer))" }
        let first = zip(ours, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, expected.count)
        XCTAssertEqual(ours, expected, "\(arch): modules differ from entry \(first)", file: file, line: line)
        if arch == "alexnet" || arch == "vgg16" {
            XCTAssertTrue(model.layer(at: "flatten") is Flatten, "\(arch): flatten", file: file, line: line)
            XCTAssertEqual(model.children.map(\.0), ["features", "avgpool", "flatten", "classifier"], file: file, line: line)
        }
    }

    func checkLayout(_ model: Sequential, _ arch: String, file: StaticString, line: UInt) throws {
        let reference = try names(arch)
        let ours = TorchvisionStateDict.entries(of: model).map { (name: $0.name, shape: $0.tensor.shape) }
        let kept = reference.filter { !TorchvisionStateDict.isIgnored($0.name) }
        for (i, (a, b)) in zip(ours, kept).enumerated() where a.name != b.name || a.shape != b.shape {
            return XCTFail("\(arch): entry \(i) is \(a.name) \(a.shape), torchvision has \(b.name) \(b.shape)", file: file, line: line)
        }
        XCTAssertEqual(ours.count, kept.count, "\(arch): entry count (extra: \(ours.dropFirst(kept.count).map(\.name)), "
                       + "missing: \(kept.dropFirst(ours.count).map(\.name)))", file: file, line: line)
        // What the loader ignores is exactly one counter per BatchNorm.
        let ignored = reference.filter { TorchvisionStateDict.isIgnored($0.name) }
        let batchNorms = model.namedLayers().filter { $0.layer is BatchNorm }.map(\.name)
        XCTAssertEqual(ignored.map(\.name), batchNorms.map { $0 + ".num_batches_tracked" }, "\(arch): ignored entries", file: file, line: line)
    }

    func checkLogits(_ model: Sequential, _ arch: String, file: StaticString, line: UInt) throws {
        let fixture = try SafeTensors.read(contentsOf: try url("torchvision_\(arch)", "safetensors"))
        let x = try XCTUnwrap(fixture.tensors["input"]), expected = try XCTUnwrap(fixture.tensors["logits"])
        // The generator first: the script's first values of every tensor, bit for bit.
        let filled = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor) })
        let samples = fixture.tensors.filter { $0.key.hasPrefix("sample.") }
        XCTAssertEqual(samples.count, filled.count, "\(arch): one sample per tensor", file: file, line: line)
        for (key, sample) in samples.sorted(by: { $0.key < $1.key }) {
            let name = String(key.dropFirst("sample.".count))
            guard let t = filled[name] else { XCTFail("\(arch): sample of unknown \(name)", file: file, line: line); continue }
            let ours = Array(t.array.prefix(sample.count))
            if ours.map(\.bitPattern) != sample.array.map(\.bitPattern) {
                return XCTFail("\(arch): deterministic \(name) starts \(ours), the script's \(sample.array); "
                               + "DeterministicWeights.swift and make_torchvision_fixtures.py disagree", file: file, line: line)
            }
        }
        model.setTraining(false)
        let y = model.forward(x)
        XCTAssertEqual(y.shape, expected.shape, "\(arch): logits shape", file: file, line: line)
        guard y.shape == expected.shape else { return }
        let (got, want) = (y.array, expected.array)
        let scale = want.map(abs).max() ?? 0
        let diffs = zip(got, want).map { abs($0 - $1) }
        let worst = diffs.max() ?? 0
        print("\(arch): logits max |diff| \(worst), reference max |logit| \(scale), relative \(worst / scale)")
        if worst > 1e-4 * scale {
            let i = diffs.firstIndex { $0 > 1e-4 * scale }!
            XCTFail("\(arch): logits differ from torchvision by up to \(worst) (allowed \(1e-4 * scale)); first at [\(i)]: "
                    + "\(got[i]) vs \(want[i]). Check the layout above, then the deterministic fill against the script.",
                    file: file, line: line)
        }
    }

    // MARK: Loading torchvision-style safetensors (int64 num_batches_tracked included)

    func testTorchvisionStyleFileLoadsIntoResNet18() throws {
        let source = ResNet.build(depth: .resnet18, seed: 1, randomInit: false)
        DeterministicWeights.fill(source)
        let file = temporaryFile("resnet18.safetensors")
        try torchStyleFile(TorchvisionStateDict.entries(of: source)).write(to: file)

        // Loading must replace a random initialisation everywhere.
        let model = ResNet.build(depth: .resnet18, seed: 2)
        let conv = try XCTUnwrap(model.layer(at: "layer4.1.conv2") as? Conv2d)
        XCTAssertGreaterThan(conv.weight.value.array.map(abs).max() ?? 0, 0, "random init drew no weights")
        try TorchvisionStateDict.load(file, into: model)
        for ((name, loaded), (_, original)) in zip(model.stateDict(), source.stateDict()) {
            XCTAssertTrue(memcmp(loaded.pointer, original.pointer, 4 * loaded.count) == 0, "\(name) not loaded bit for bit")
        }
        try checkLogits(model, "resnet18", file: #filePath, line: #line)
    }

    func testLoaderReportsMissingUnexpectedAndMisshapedTensors() throws {
        let model = ResNet.build(depth: .resnet18, classes: 10, seed: 1, randomInit: false)
        var entries = TorchvisionStateDict.entries(of: model).filter { $0.name != "layer3.1.bn2.running_mean" }
        entries.append(("layer5.0.conv1.weight", Tensor(zeros: [1])))
        entries = entries.map { $0.name == "fc.weight" ? ($0.name, Tensor(zeros: [1000, 512])) : $0 }
        let file = temporaryFile("wrong.safetensors")
        try torchStyleFile(entries).write(to: file)
        let before = model.stateDict().map { $0.tensor.copy() }
        XCTAssertThrowsError(try TorchvisionStateDict.load(file, into: model)) { error in
            let text = String(describing: error)
            for needle in [file.path, "missing layer3.1.bn2.running_mean [256]", "unexpected layer5.0.conv1.weight",
                           "fc.weight: expected shape [10, 512], file has [1000, 512]"] {
                XCTAssertTrue(text.contains(needle), "'\(text)' should mention '\(needle)'")
            }
            XCTAssertFalse(text.contains("num_batches_tracked"), "counters are ignored, not reported: \(text)")
        }
        for ((name, now), old) in zip(model.stateDict(), before) { XCTAssertEqual(now.array, old.array, "\(name) changed by a failed load") }
    }

    /// Safetensors bytes laid out as `safetensors.torch.save_file(model.state_dict())` makes them: F32 tensors,
    /// with an int64 0-d `num_batches_tracked` after each BatchNorm's `running_var`.
    func torchStyleFile(_ entries: [(name: String, tensor: Tensor)]) -> Data {
        var fields: [String] = [], payload = Data(), counter: Int64 = 1
        func add(_ name: String, _ dtype: String, _ shape: [Int], _ bytes: UnsafeRawBufferPointer) {
            let shapeText = shape.map(String.init).joined(separator: ",")
            fields.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shapeText)],\"data_offsets\":[\(payload.count),\(payload.count + bytes.count)]}")
            payload.append(contentsOf: bytes)
        }
        for (name, t) in entries {
            add(name, "F32", t.shape, UnsafeRawBufferPointer(start: t.pointer, count: 4 * t.count))
            if name.hasSuffix(".running_var") {
                counter += 1
                withUnsafeBytes(of: counter.littleEndian) { add(String(name.dropLast("running_var".count)) + "num_batches_tracked", "I64", [], $0) }
            }
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var out = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        return out + header + payload
    }

    // MARK: Helpers

    /// The fixture's (name, shape) lines in state_dict order.
    func names(_ arch: String) throws -> [(name: String, shape: [Int])] {
        let text = try String(contentsOf: try url("torchvision_\(arch)_names", "txt"), encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let parts = line.split(separator: "\t")
            guard parts.count == 2, parts[1].hasPrefix("["), parts[1].hasSuffix("]") else {
                throw FixtureError(description: "malformed line '\(line)' in torchvision_\(arch)_names.txt; rerun scripts/make_torchvision_fixtures.py")
            }
            return (String(parts[0]), parts[1].dropFirst().dropLast().split(separator: ",").map { Int($0)! })
        }
    }

    func url(_ name: String, _ ext: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"),
                      "missing fixture \(name).\(ext); run scripts/make_torchvision_fixtures.py")
    }

    func temporaryFile(_ name: String) -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("torchvision-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir.appendingPathComponent(name)
    }

    struct FixtureError: Error, CustomStringConvertible { let description: String }

    func seconds(_ a: Date, _ b: Date) -> String { String(format: "%.2f", b.timeIntervalSince(a)) }
}
