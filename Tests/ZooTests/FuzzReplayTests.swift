import Foundation
import XCTest
import Engine
import Datasets
import NN
import Zoo

/// The fuzz seed corpus (Tests/Fuzz/corpus/READER/, including inputs the fuzzer once crashed on)
/// and deterministic mutations of each file, through each reader: every call must return or throw,
/// quickly. A crash or a sanitizer-free trap ends the test run, which is the failure this guards.
/// Here (ZooTests) because this target sees all six readers; scripts/fuzz.sh runs the same readers
/// under libFuzzer + AddressSanitizer.
final class FuzzReplayTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus").path

    /// The readers as `grow` calls them, on bytes in memory. Errors are expected; only their kind is checked.
    static let readers: [String: @Sendable ([UInt8]) throws -> Void] = [
        "idx": { b in _ = try IDXArray.parse(Gzip.isGzip(b) ? Gzip.decompress(b, file: "f.idx") : b, file: "f.idx") },
        "csv": { b in _ = try ByteImageDataset(csvBytes: b, file: "f.csv") },
        "jpeg": { b in _ = try ImageCodec.decode(b, file: "f.jpg"); _ = try JPEGCodec.decode(b, file: "f.jpg", minShorterSide: 1) },
        "png": { b in  // as given, then with chunk CRCs repaired so mutations reach libpng's decoder
            _ = try? ImageCodec.decode(b, file: "f.png")
            _ = try ImageCodec.decode(pngWithFixedCRCs(b), file: "f.png")
        },
        "safetensors": { b in _ = try SafeTensors.read(data: Data(b), origin: "f.safetensors") },
        "pth": { b in _ = try TorchStateDict(bytes: b, origin: "f.pth") },
    ]

    /// `png` with the CRC of every complete chunk recomputed (as GrowFuzz's PNGChunks does).
    static func pngWithFixedCRCs(_ png: [UInt8]) -> [UInt8] {
        guard PNGCodec.isPNG(png) else { return png }
        func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes { c ^= UInt32(b); for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 } }
            return ~c
        }
        var out = png, pos = 8
        while pos + 12 <= out.count {
            let length = out[pos..<(pos + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= out.count - pos - 12 else { break }
            let crc = crc32(out[(pos + 4)..<(pos + 8 + length)])
            out.replaceSubrange((pos + 8 + length)..<(pos + 12 + length), with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) })
            pos += 12 + length
        }
        return out
    }

    /// `count` deterministic variants of `bytes`: bit flips, truncations, insertions, and 2/4/8-byte
    /// fields (both byte orders) overwritten with huge or boundary values, the edits fuzzers find first.
    static func mutations(of bytes: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = RNG(seed: seed)
        let huge: [UInt64] = [0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF_FFFF_FFFF, UInt64.max]
        var out: [[UInt8]] = []
        for i in 0..<count {
            var b = bytes
            switch i % 5 {
            case 0 where !b.isEmpty:  // one to four bit flips
                for _ in 0...rng.below(4) { b[rng.below(b.count)] ^= UInt8(1 << rng.below(8)) }
            case 1:  // truncation
                b = Array(b.prefix(rng.below(b.count + 1)))
            case 2:  // inserted bytes
                let at = rng.below(b.count + 1)
                b.insert(contentsOf: (0...rng.below(8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 3 where b.count >= 8:  // a size field set to a huge value, big- or little-endian
                let width = [2, 4, 8][rng.below(3)], at = rng.below(b.count - width + 1)
                let v = huge[rng.below(huge.count)], bigEndian = rng.below(2) == 0
                for k in 0..<width { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * (bigEndian ? width - 1 - k : k))) }
            default:  // a byte set to a random value, or a run duplicated
                if !b.isEmpty && rng.below(2) == 0 { b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next()) } else if !b.isEmpty {
                    let at = rng.below(b.count), n = min(1 + rng.below(64), b.count - at)
                    b.insert(contentsOf: b[at..<(at + n)], at: at)
                }
            }
            out.append(b)
        }
        return out
    }

    func replay(_ reader: String, mutationsPerFile: Int = 1000) throws {
        let read = try XCTUnwrap(Self.readers[reader])
        let dir = "\(Self.corpus)/\(reader)"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertGreaterThanOrEqual(names.count, 3, "seed corpus \(dir): run scripts/make_fuzz_corpus.sh")
        var calls = 0, slowest = 0.0, slowestInput = ""
        let start = Date()
        for (n, name) in names.enumerated() {
            let seed = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: "\(dir)/\(name)")))
            for (m, input) in ([seed] + Self.mutations(of: seed, count: mutationsPerFile, seed: UInt64(n + 1))).enumerated() {
                let t = Date()
                do { try read(input) } catch {
                    // Errors must name the input (the origin given above), never come out empty.
                    XCTAssertTrue("\(error)".contains("f."), "\(reader) \(name) #\(m): an error without the file name: \(error)")
                }
                let elapsed = Date().timeIntervalSince(t)
                if elapsed > slowest { (slowest, slowestInput) = (elapsed, "\(name) mutation \(m)") }
                calls += 1
            }
        }
        XCTAssertLessThan(slowest, 2, "\(reader): \(slowestInput) took \(slowest) s")
        print("\(reader): \(calls) inputs in \(String(format: "%.2f", Date().timeIntervalSince(start))) s, slowest \(String(format: "%.3f", slowest)) s (\(slowestInput))")
    }

    func testIDXCorpus() throws { try replay("idx") }
    func testCSVCorpus() throws { try replay("csv") }
    func testJPEGCorpus() throws { try replay("jpeg") }
    func testPNGCorpus() throws { try replay("png") }
    func testSafeTensorsCorpus() throws { try replay("safetensors") }
    func testPthCorpus() throws { try replay("pth") }
}
