import Foundation
import XCTest
import Engine
@testable import NN

final class SafeTensorsTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Tensors covering the awkward cases: 0-d, empty, specials, subnormals, a name needing JSON escapes.
    let sample: [(name: String, tensor: Tensor)] = [
        ("z.weight", Tensor(shape: [2, 3], values: [1, -2, 3.5, .infinity, -0.0, .leastNonzeroMagnitude])),
        ("a.scalar", Tensor(shape: [], values: [42])),
        ("empty", Tensor(zeros: [0, 5])),
        ("quote\"back\\slash ünï\n", Tensor(shape: [1, 1, 2], values: [.greatestFiniteMagnitude, .nan])),
    ]

    // MARK: Swift write → Swift read

    func testRoundTripPreservesValuesShapesOrderAndMetadata() throws {
        let url = dir.appendingPathComponent("rt.safetensors")
        let metadata = ["epoch": "3", "note": "line\n\"quoted\""]
        try SafeTensors.write(sample, metadata: metadata, to: url)
        let file = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(file.order, sample.map(\.name))
        XCTAssertEqual(file.metadata, metadata)
        for (name, t) in sample {
            let r = try XCTUnwrap(file.tensors[name], name)
            XCTAssertEqual(r.shape, t.shape, name)
            assertSame(r.array, t.array, name)
        }
    }

    func testWriterAlignsDataIsDeterministicAndOmitsEmptyMetadata() throws {
        let a = try SafeTensors.data(sample), b = try SafeTensors.data(sample)
        XCTAssertEqual(a, b)
        let n = a.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0, "data buffer must start 8-byte aligned")
        let header = String(decoding: a[8..<(8 + n)], as: UTF8.self)
        XCTAssertFalse(header.contains("__metadata__"))
        XCTAssertTrue(header.hasPrefix(#"{"z.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}"#), header)
        XCTAssertEqual(a.count, 8 + n + 4 * (6 + 1 + 0 + 2))
    }

    func testAtomicWriteReplacesFileAndLeavesNoTemporaries() throws {
        let url = dir.appendingPathComponent("m.safetensors")
        try SafeTensors.write(sample, to: url)
        try SafeTensors.write([("only", Tensor(shape: [1], values: [5]))], to: url)
        XCTAssertEqual(try SafeTensors.read(contentsOf: url).order, ["only"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["m.safetensors"])
        let missing = dir.appendingPathComponent("no/such/dir/x.safetensors")
        XCTAssertThrowsError(try SafeTensors.write(sample, to: missing)) {
            XCTAssertTrue("\($0)".contains("cannot write \(missing.path)") && "\($0)".contains("does not exist"), "\($0)")
        }
    }

    /// A write that runs out of room (here the file-size limit, as a full disk would) names the path and the
    /// cause, leaves the previous file intact and no temporary file behind.
    func testFailedWriteKeepsThePreviousFileWhole() throws {
        let url = dir.appendingPathComponent("keep.safetensors")
        try SafeTensors.write(sample, to: url)
        let before = try Data(contentsOf: url)
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        var small = saved
        small.rlim_cur = 64
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &small), 0)
        let big = [("big", Tensor(zeros: [1000]))]
        XCTAssertThrowsError(try SafeTensors.write(big, to: url)) {
            XCTAssertTrue("\($0)".contains("cannot write \(url.path)") && "\($0)".contains("file-size limit"), "\($0)")
        }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["keep.safetensors"])
    }

    func testWriteRefusesDuplicateAndReservedNames() {
        let t = Tensor(shape: [1], values: [1])
        for names in [["a", "a"], ["__metadata__"]] {
            XCTAssertThrowsError(try SafeTensors.data(names.map { ($0, t) })) {
                XCTAssertTrue("\($0)".contains("unique name"), "\($0)")
            }
        }
    }

    // MARK: Malformed files

    func testTruncatedAndAbsurdHeaders() {
        expectError(Data([1, 2, 3]), "3 bytes", "shorter than")
        expectError(file("{}", headerLength: 100), "larger than")
        expectError(file("{}", headerLength: 1 << 40), "absurd")
    }

    func testHeaderNotJSONOrNotObject() {
        expectError(file("{not json"), "not valid JSON")
        expectError(file("[1,2]"), "not an object")
        expectError(file(#"{"w":3}"#), "'w'", "not an object")
        expectError(file(#"{"__metadata__":{"a":1}}"#), "__metadata__")
    }

    func testMissingFields() {
        for key in ["dtype", "shape", "data_offsets"] {
            var fields = [#""dtype":"F32""#, #""shape":[2]"#, #""data_offsets":[0,8]"#]
            fields.removeAll { $0.contains(key) }
            expectError(file(#"{"w":{\#(fields.joined(separator: ","))}}"#, dataCount: 8), "'w'", "no \(key)")
        }
    }

    func testUnsupportedDtypesAreRefusedByName() {
        for dtype in ["F64", "I32", "U8"] { expectError(file(entry(dtype: dtype), dataCount: 8), "'w'", dtype, "F32") }
    }

    func testBadShapesAndOffsets() {
        for shape in ["[-2]", "[2.5]", #"["2"]"#, "[true]", "3"] {
            expectError(file(entry(shape: shape), dataCount: 8), "'w'", "shape", "non-negative integers")
        }
        expectError(file(entry(offsets: "[0]"), dataCount: 8), "data_offsets")
        expectError(file(entry(offsets: "[8,0]"), dataCount: 8), "before it begins")
        expectError(file(entry(), dataCount: 4), "beyond the 4-byte data buffer")
        expectError(file(entry(shape: "[3]"), dataCount: 8), "spans 8 bytes", "needs 12")
    }

    func testOverlapsRefusedButGapsAllowed() throws {
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        expectError(file(overlap, dataCount: 12), "'a' and 'b' overlap")
        let gap = #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        var bytes = file(gap, dataCount: 0)
        for v: Float in [1, -1, 2] { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        let read = try SafeTensors.read(data: bytes, origin: "gap")
        XCTAssertEqual(read.order, ["a", "b"])
        XCTAssertEqual(read.tensors["a"]?.array, [1])
        XCTAssertEqual(read.tensors["b"]?.array, [2])
    }

    // MARK: Half-precision conversion

    func testHalfConversionMatchesHardwareForAllBitPatterns() throws {
        #if !(os(macOS) && arch(x86_64)) // Float16 is unavailable there.
        for bits in 0...UInt16.max {
            assertSame([SafeTensors.floatFromHalf(bits)], [Float(Float16(bitPattern: bits))], "half 0x\(String(bits, radix: 16))")
        }
        #else
        throw XCTSkip("Float16 unavailable on Intel macOS")
        #endif
    }

    // MARK: Files written by the Python safetensors library (scripts/make_safetensors_fixtures.py)

    func testReadsPythonF32() throws {
        let f = try SafeTensors.read(contentsOf: fixture("python_f32"))
        XCTAssertEqual(f.metadata, ["format": "np", "source": "make_safetensors_fixtures.py"])
        XCTAssertEqual(f.order, ["bias", "empty", "scalar", "special", "weight"])
        XCTAssertEqual(f.tensors["weight"]?.shape, [2, 3])
        assertSame(f.tensors["weight"]?.array, [0, -0.0, 1.5, -2.25, .greatestFiniteMagnitude, .leastNonzeroMagnitude])
        assertSame(f.tensors["bias"]?.array, [1, 2, 3])
        assertSame(f.tensors["special"]?.array, [.infinity, -.infinity, .nan, 0.1])
        XCTAssertEqual(f.tensors["scalar"]?.shape, [])
        assertSame(f.tensors["scalar"]?.array, [7])
        XCTAssertEqual(f.tensors["empty"]?.shape, [0, 4])
        XCTAssertEqual(f.tensors["empty"]?.count, 0)
    }

    func testReadsPythonF16() throws {
        let f = try SafeTensors.read(contentsOf: fixture("python_f16"))
        XCTAssertEqual(f.metadata, ["format": "np"])
        XCTAssertEqual(f.order, ["half", "half_matrix"])
        assertSame(f.tensors["half"]?.array, [0, -0.0, 1, -2, 65504, 0x1p-14, 0x1p-24, -0x1p-24,
                                              0x1p-15 + 0x1p-24, 1023 * 0x1p-24, .infinity, -.infinity, .nan])
        XCTAssertEqual(f.tensors["half_matrix"]?.shape, [2, 2])
        assertSame(f.tensors["half_matrix"]?.array, [0.333251953125, -1000.5, 3.140625, 0.5])
    }

    func testReadsPythonBF16() throws {
        let f = try SafeTensors.read(contentsOf: fixture("python_bf16"))
        XCTAssertEqual(f.metadata, ["format": "pt"])
        assertSame(f.tensors["brain"]?.array, [0, -0.0, 1, -2, 3.140625, 0x1p100, -0x1p-130, .infinity, -.infinity, .nan])
        XCTAssertEqual(f.tensors["brain_max"]?.shape, [])
        assertSame(f.tensors["brain_max"]?.array, [(2 - 0x1p-7) * 0x1p127])
    }

    func testReadsPythonI64BesideF32() throws {
        let f = try SafeTensors.read(contentsOf: fixture("python_i64"))
        XCTAssertEqual(f.tensors["bn.num_batches_tracked"]?.shape, [])
        assertSame(f.tensors["bn.num_batches_tracked"]?.array, [3])
        XCTAssertEqual(f.tensors["bn.running_var"]?.shape, [3])
        // 2²⁴ + 1 has no Float32: it rounds to the nearest (ties to even), 2²⁴.
        assertSame(f.tensors["counts"]?.array, [0, 1, -1, 7, 0x1p24, -0x1p24, 0x1p24, 0x1p62])
    }

    // MARK: Swift write → Python read

    func testPythonReadsSwiftFile() throws {
        guard let python = try pythonWithSafetensors() else { return }
        let url = dir.appendingPathComponent("from_swift.safetensors")
        try SafeTensors.write(sample, metadata: ["k": "v"], to: url)
        // Bit patterns (not decimal values) so inf, NaN and -0 compare exactly through JSON.
        let script = """
        import json, sys, numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file
        t = load_file(sys.argv[1])
        with safe_open(sys.argv[1], "np") as f: meta = f.metadata()
        print(json.dumps({"metadata": meta, "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype),
            "bits": np.ascontiguousarray(v).reshape(-1).view(np.uint32).tolist()} for k, v in t.items()}}))
        """
        let (status, out, err) = try run(python, ["-c", script, url.path])
        XCTAssertEqual(status, 0, "python failed: \(err)")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], out)
        XCTAssertEqual(json["metadata"] as? [String: String], ["k": "v"])
        let tensors = try XCTUnwrap(json["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(tensors.keys), Set(sample.map(\.name)))
        for (name, t) in sample {
            XCTAssertEqual(tensors[name]?["shape"] as? [Int], t.shape, name)
            XCTAssertEqual(tensors[name]?["dtype"] as? String, "float32", name)
            XCTAssertEqual((tensors[name]?["bits"] as? [NSNumber])?.map(\.uint32Value), t.array.map(\.bitPattern), name)
        }
    }

    // MARK: Helpers

    /// Safetensors bytes with `json` as header and `dataCount` zero bytes of data; `headerLength` can lie.
    func file(_ json: String, dataCount: Int = 0, headerLength: UInt64? = nil) -> Data {
        var d = Data()
        withUnsafeBytes(of: (headerLength ?? UInt64(json.utf8.count)).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(json.utf8) + [UInt8](repeating: 0, count: dataCount))
        return d
    }

    func entry(dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]") -> String {
        #"{"w":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}}"#
    }

    func expectError(_ data: Data, _ needles: String..., line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.read(data: data, origin: "bad.safetensors"), line: line) { error in
            guard let e = error as? SafeTensorsError else { return XCTFail("unexpected \(error)", line: line) }
            for n in ["bad.safetensors: "] + needles {
                XCTAssertTrue(e.description.contains(n), "'\(e)' should mention '\(n)'", line: line)
            }
        }
    }

    /// Bitwise equality (so -0 ≠ 0 is caught), treating any NaN as equal to any NaN.
    func assertSame(_ actual: [Float]?, _ expected: [Float], _ message: String = "", line: UInt = #line) {
        guard let actual, actual.count == expected.count,
              zip(actual, expected).allSatisfy({ $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }) else {
            return XCTFail("\(message) got \(String(describing: actual)), expected \(expected)", line: line)
        }
    }

    func fixture(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"),
                      "missing fixture \(name); run scripts/make_safetensors_fixtures.py")
    }

    /// The interpreter from GROW_PYTHON, else the first python3 on PATH that can import safetensors.
    /// Nil (after failing or skipping the test) when there is none.
    func pythonWithSafetensors() throws -> URL? {
        let env = ProcessInfo.processInfo.environment
        let candidates = env["GROW_PYTHON"].map { [$0] }
            ?? (env["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        let tried = candidates.filter { FileManager.default.isExecutableFile(atPath: $0) }
        for path in tried {
            let python = URL(fileURLWithPath: path)
            if (try? run(python, ["-c", "import safetensors, numpy"]))?.status == 0 { return python }
        }
        let why = "no Python that imports safetensors and numpy (tried: \(tried.isEmpty ? "none found" : tried.joined(separator: ", "))); "
            + "run `pip install safetensors numpy`, or set GROW_PYTHON to an interpreter that has them"
        if env["GROW_SKIP_PYTHON"] == "1" { throw XCTSkip(why) }
        XCTFail(why + ", or set GROW_SKIP_PYTHON=1 to skip")
        return nil
    }

    func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process(), out = Pipe(), err = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
