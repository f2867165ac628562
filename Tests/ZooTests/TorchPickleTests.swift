import Foundation
import XCTest
import Engine
@testable import Zoo

/// The restricted .pth reader against files written by torch 2.13 itself and against hostile files
/// (fixtures made by scripts/make_torch_fixtures.py; the values below are the ones that script saves).
final class TorchPickleTests: XCTestCase {
    func fixture(_ name: String) throws -> URL {
        let stem = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        return try XCTUnwrap(Bundle.module.url(forResource: stem, withExtension: ext, subdirectory: "Fixtures"),
                             "missing fixture \(name): run /work/torchenv/bin/python scripts/make_torch_fixtures.py")
    }

    /// The state both formats hold: shared storage with offsets, a transposed view, f16, f64, int64.
    func checkTinyState(_ sd: TorchStateDict, _ file: String) throws {
        let base = (0..<12).map { Float($0) / 4 }
        let expected: [(String, [Int], [Float])] = [
            ("conv.weight", [2, 1, 2, 2], (0..<8).map { Float($0) - 3.5 }),
            ("shared.a", [2, 3], Array(base[2..<8])),
            ("shared.b", [6], Array(base[6..<12])),
            ("shared.t", [4, 3], (0..<4).flatMap { i in (0..<3).map { j in base[j * 4 + i] } }),
            ("half", [3], [0.5, -2, 1024]),
            ("double", [2], [0.25, -3]),
        ]
        XCTAssertEqual(sd.order, expected.map(\.0) + ["bn.num_batches_tracked"], file)
        XCTAssertEqual(sd.tensors.count, expected.count, file)
        for (name, shape, values) in expected {
            let t = try XCTUnwrap(sd.tensors[name], "\(file): no \(name)")
            XCTAssertEqual(t.shape, shape, "\(file) \(name)")
            XCTAssertEqual(t.array, values, "\(file) \(name)")
        }
        XCTAssertEqual(sd.integers["bn.num_batches_tracked"], TorchIntegerTensor(dtype: .int64, shape: [], values: [7]), file)
    }

    func testLegacyFileWrittenByTorch() throws {
        try checkTinyState(try TorchStateDict(contentsOf: try fixture("tiny_legacy.pth")), "tiny_legacy.pth")
    }

    func testZipFileWrittenByTorch() throws {
        try checkTinyState(try TorchStateDict(contentsOf: try fixture("tiny_zip.pth")), "tiny_zip.pth")
    }

    func testConvenienceReadGivesTheFloatTensors() throws {
        let tensors = try TorchStateDict.read(contentsOf: try fixture("tiny_legacy.pth"))
        XCTAssertEqual(tensors.keys.sorted(), ["conv.weight", "double", "half", "shared.a", "shared.b", "shared.t"])
    }

    /// Each hostile or damaged file is refused with a message naming the file and the problem.
    func testHostileAndDamagedFilesAreRefused() throws {
        let cases: [(String, [String])] = [
            ("evil_global.pth", ["pickle GLOBAL 'os.system' at byte 139 is not allowed", "never runs code"]),
            ("evil_stack_global.pth", ["pickle STACK_GLOBAL 'posix.system' at byte", "not allowed"]),
            ("whole_module.pth", ["'torch.nn.modules.linear.Linear'", "not allowed", "model.state_dict()"]),
            // Legacy storage keys are memory addresses, so offsets inside these files vary between runs
            // of the fixture script; the file sizes (where each read runs out) do not.
            ("truncated_pickle.pth", ["pickle opcode", "but the file ends at byte 506"]),
            ("truncated_data.pth", ["elements, count at byte", "but the file ends at byte 1133"]),
            ("huge_count.pth", ["(1099511627776 ", "but the file ends at byte 1139"]),
            ("overflow_count.pth", ["overflow"]),
            ("view_past_end.pth", ["tensor 'w' [2, 2]", "reads element 5, past the storage's end"]),
            ("repeated_view.pth", ["the tensors up to 'w264' hold 1060 elements, over 8× the 4 the file stores"]),
            ("wrong_magic.pth", ["not the magic number 0x1950a86a20f9469cfc6c", "0x1950a86a20f9469cfc6d"]),
            ("plain_pickle.pth", ["the first pickle holds a dict, not the magic number"]),
        ]
        for (name, needles) in cases {
            let url = try fixture(name)
            XCTAssertThrowsError(try TorchStateDict(contentsOf: url), name) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.hasPrefix(url.path + ": "), "\(name): the message should start with the path: \(text)")
                for needle in needles { XCTAssertTrue(text.contains(needle), "\(name): expected “\(needle)” in: \(text)") }
            }
        }
    }

    /// Object-building opcodes and calls outside the whitelist, each after a valid legacy header.
    func testRefusedOpcodesAndCalls() throws {
        let header = Array([UInt8](try Data(contentsOf: try fixture("evil_global.pth")))[..<137])  // magic, version, sys info
        let proto2: [UInt8] = [0x80, 2]
        let cases: [(String, [UInt8], String)] = [
            ("INST", proto2 + Array("ios\nsystem\n.".utf8), "pickle opcode INST at byte 139 is not supported"),
            ("OBJ", [0x80, 2, 0x28, 0x6f, 0x2e], "pickle opcode OBJ at byte 140 is not supported"),
            ("NEWOBJ", [0x80, 2, 0x81, 0x2e], "pickle opcode NEWOBJ at byte 139 is not supported"),
            ("EXT1", [0x80, 2, 0x82, 1, 0x2e], "pickle opcode EXT1 at byte 139 is not supported"),
            ("REDUCE storage", proto2 + Array("ctorch\nFloatStorage\n)R.".utf8), "REDUCE at byte 160 calls torch.FloatStorage"),
            ("REDUCE str", proto2 + Array("X\u{1}\0\0\0a)R.".utf8), "REDUCE at byte 146 calls a str"),
            ("PERSID", proto2 + Array("X\u{6}\0\0\0module".utf8) + [0x85, 0x51, 0x2e], "the persistent id is a tuple of 1"),
            ("BUILD", proto2 + Array("]}b.".utf8), "BUILD at byte 141 sets the state of a list"),
        ]
        for (what, pickle, needle) in cases {
            XCTAssertThrowsError(try TorchStateDict(bytes: header + pickle, origin: "t.pth"), what) { error in
                XCTAssertTrue(String(describing: error).hasPrefix("t.pth: ") && String(describing: error).contains(needle),
                              "\(what): expected “\(needle)” in: \(error)")
            }
        }
    }

    func testNotATorchFile() {
        XCTAssertThrowsError(try TorchStateDict(bytes: [0xff, 0xd8, 0xff, 0xe0, 1, 2], origin: "x.jpg")) {
            XCTAssertTrue(String(describing: $0).contains("x.jpg: the file starts with bytes ff d8 ff e0"), "\($0)")
        }
        XCTAssertThrowsError(try TorchStateDict(bytes: [], origin: "empty.pth")) {
            XCTAssertTrue(String(describing: $0).contains("empty.pth: the file is empty"), "\($0)")
        }
        XCTAssertThrowsError(try TorchStateDict(contentsOf: URL(fileURLWithPath: "/nonexistent/w.pth"))) {
            XCTAssertTrue(String(describing: $0).contains("/nonexistent/w.pth: the file cannot be opened"), "\($0)")
        }
    }

    /// Every proper prefix of a valid file is refused (never read as a shorter state dict, never a crash).
    func testEveryTruncationIsRefused() throws {
        for name in ["tiny_legacy.pth", "tiny_zip.pth"] {
            let bytes = [UInt8](try Data(contentsOf: try fixture(name)))
            for n in 0..<bytes.count {
                XCTAssertThrowsError(try TorchStateDict(bytes: Array(bytes[..<n]), origin: name), "\(name) cut at \(n)")
            }
        }
    }

    /// Random byte damage either is refused or still reads; it never crashes or allocates wildly.
    func testRandomCorruptionNeverCrashes() throws {
        var rng = RNG(seed: 7)
        for name in ["tiny_legacy.pth", "tiny_zip.pth"] {
            let clean = [UInt8](try Data(contentsOf: try fixture(name)))
            var refused = 0
            for _ in 0..<1500 {
                var bytes = clean
                for _ in 0..<(1 + rng.below(3)) { bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                do {
                    let sd = try TorchStateDict(bytes: bytes, origin: name)
                    XCTAssertLessThanOrEqual(sd.tensors.values.reduce(0) { $0 + $1.count }, bytes.count, name)
                } catch { refused += 1 }
            }
            XCTAssertGreaterThan(refused, 0, name)
        }
    }
}
