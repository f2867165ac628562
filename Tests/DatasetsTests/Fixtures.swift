import Foundation
import XCTest
@testable import Datasets

/// A temp folder for one test's generated fixtures, removed afterwards.
final class TempDir {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("grow-datasets-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` at `relative` (creating folders) and returns the full path.
    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8]) -> String {
        let full = "\(path)/\(relative)"
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        precondition(FileManager.default.createFile(atPath: full, contents: Data(bytes)), "cannot write \(full)")
        return full
    }

    @discardableResult
    func write(_ relative: String, text: String) -> String { write(relative, Array(text.utf8)) }
}

enum Fixture {
    /// A deterministic test pattern: each pixel a function of (x, y, channel).
    static func pattern(width: Int, height: Int, channels: Int, seed: Int = 0) -> Image {
        var px = [UInt8]()
        for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            px.append(UInt8((x * 37 + y * 11 + c * 71 + seed * 13) % 256))
        } } }
        return Image(width: width, height: height, channels: channels, pixels: px)
    }

    /// A smooth image (JPEG keeps it within a few levels), for lossy round trips.
    static func smooth(width: Int, height: Int, channels: Int) -> Image {
        var px = [UInt8]()
        for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            px.append(UInt8(40 + x * 100 / max(width - 1, 1) + y * 50 / max(height - 1, 1) + c * 20))
        } } }
        return Image(width: width, height: height, channels: channels, pixels: px)
    }

    /// IDX bytes written by hand (not through IDXArray.encoded) so the reader is checked independently.
    static func idx(_ dims: [Int], _ values: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 8, UInt8(dims.count)]
        for d in dims { out += withUnsafeBytes(of: UInt32(d).bigEndian) { Array($0) } }
        return out + values
    }

    /// gzip via the system `gzip` tool, an encoder independent of the zlib inflater under test.
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        let dir = TempDir()
        let file = dir.write("x", bytes)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-n", "-f", file]
        try! p.run(); p.waitUntilExit()
        return [UInt8](FileManager.default.contents(atPath: file + ".gz")!)
    }
}

/// Asserts that `body` throws a `DatasetError` whose file and message contain the given parts.
func assertDatasetError<T>(_ body: @autoclosure () throws -> T, file named: String, _ parts: String...,
                           line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a DatasetError mentioning \(parts)", line: line)
    } catch let e as DatasetError {
        XCTAssertTrue(e.file.contains(named), "error names '\(e.file)', expected '\(named)': \(e)", line: line)
        for p in parts { XCTAssertTrue(e.problem.contains(p), "'\(e.problem)' lacks '\(p)'", line: line) }
    } catch {
        XCTFail("expected a DatasetError, got \(error)", line: line)
    }
}
