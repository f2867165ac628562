import Foundation
import XCTest
@testable import Zoo

/// A legacy .pth whose only tensor has size (0, 2³², 2³²): it holds no element, so the element count
/// (0) passed, but the sizes multiply past 64 bits wherever the tensor's strides are computed.
final class TorchShapeOverflowTests: XCTestCase {
    func legacyFile(size: [UInt64]) throws -> [UInt8] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "evil_global", withExtension: "pth", subdirectory: "Fixtures"))
        let header = Array([UInt8](try Data(contentsOf: url))[..<137])  // magic, protocol version, sys info
        func unicode(_ s: String) -> [UInt8] { [0x8c, UInt8(s.utf8.count)] + Array(s.utf8) }
        func long(_ v: UInt64) -> [UInt8] { [0x8a, 8] + withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let orderedDict = Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52]
        var p: [UInt8] = [0x80, 2] + orderedDict + unicode("w") + Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28]
        p += [0x28] + unicode("storage") + Array("ctorch\nFloatStorage\n".utf8) + unicode("k") + unicode("cpu") + [0x4b, 1, 0x74, 0x51]
        p += [0x4b, 0] + [0x28] + size.flatMap(long) + [0x74]             // offset 0, size
        p += [0x28] + size.flatMap { _ in long(0) } + [0x74]             // stride all 0
        p += [0x89] + orderedDict + [0x74, 0x52, 0x73, 0x2e]            // False, OrderedDict(), REDUCE, SETITEM, STOP
        let keys: [UInt8] = [0x80, 2, 0x5d] + unicode("k") + [0x61, 0x2e]
        let storage: [UInt8] = withUnsafeBytes(of: Int64(1).littleEndian) { Array($0) } + [0, 0, 0x80, 0x3f]  // 1 float: 1.0
        return header + p + keys + storage
    }

    func testEmptyTensorWithOverflowingSizesIsRefused() throws {
        XCTAssertThrowsError(try TorchStateDict(bytes: try legacyFile(size: [0, 1 << 32, 1 << 32]), origin: "empty.pth")) { error in
            XCTAssertTrue("\(error)".hasPrefix("empty.pth: tensor 'w'"), "\(error)")
            XCTAssertTrue("\(error)".contains("sizes overflow"), "\(error)")
        }
        // The same file with a plain empty size reads.
        XCTAssertEqual(try TorchStateDict(bytes: try legacyFile(size: [0, 3]), origin: "ok.pth").tensors["w"]?.shape, [0, 3])
    }
}
