import XCTest
@testable import Engine

final class TensorTests: XCTestCase {
    func testStorageIsAlignedAndZeroed() {
        for n in [1, 7, 1000, 20_000, 100_003] {
            let t = Tensor(zeros: [n])
            XCTAssertEqual(Int(bitPattern: t.pointer) % 64, 0, "64-byte alignment for \(n) floats")
            XCTAssertTrue(t.array.allSatisfy { $0 == 0 })
        }
    }

    func testRecycledBuffersComeBackZeroedWhenAskedFor() {
        do { let t = Tensor(shape: [50_000], repeating: 3); _ = t.count }
        let u = Tensor(zeros: [50_000])
        XCTAssertTrue(u.array.allSatisfy { $0 == 0 })
    }

    func testReshapeSharesStorageAndInfersDimension() {
        let t = Tensor(shape: [2, 3, 4], values: (0..<24).map(Float.init))
        let v = t.reshaped([6, -1])
        XCTAssertEqual(v.shape, [6, 4])
        v[flat: 5] = 100
        XCTAssertEqual(t[0, 1, 1], 100)
        XCTAssertEqual(t.copy().array, t.array)
    }
}
