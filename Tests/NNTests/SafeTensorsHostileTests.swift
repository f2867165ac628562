import Foundation
import XCTest
@testable import NN

/// Headers found to slip past the reader's checks (see scripts/fuzz.sh).
final class SafeTensorsHostileTests: XCTestCase {
    /// [0, 2³², 2³²] holds no bytes, so the byte count was 0 and the shape accepted; its strides
    /// (2⁶⁴ elements) overflow in any code that walks it.
    func testEmptyShapeWithOverflowingDimensionsIsRefused() {
        let json = #"{"w":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#
        var d = Data()
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(json.utf8))
        XCTAssertThrowsError(try SafeTensors.read(data: d, origin: "zero.safetensors")) { error in
            XCTAssertTrue("\(error)".hasPrefix("zero.safetensors: "), "\(error)")
            XCTAssertTrue("\(error)".contains("too large to address"), "\(error)")
        }
        let fine = #"{"w":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}"#
        var ok = Data()
        withUnsafeBytes(of: UInt64(fine.utf8.count).littleEndian) { ok.append(contentsOf: $0) }
        ok.append(contentsOf: Array(fine.utf8))
        XCTAssertEqual(try SafeTensors.read(data: ok, origin: "ok").tensors["w"]?.shape, [0, 3])
    }
}
