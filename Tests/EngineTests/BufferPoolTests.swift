import XCTest
@testable import Engine

/// The buffer pool's reuse: exact sizes first, then a cached buffer up to twice as large, filed back under its own size.
final class BufferPoolTests: XCTestCase {
    func testReusesExactSizeFirst() {
        let pool = BufferPool()
        let a = pool.take(40_000), b = pool.take(60_000)
        pool.give(a, 40_000)
        pool.give(b, 60_000)
        XCTAssertEqual(pool.take(40_000), a)
        XCTAssertEqual(pool.take(60_000), b)
    }

    func testBorrowsASmallLargerBufferAndFilesItBackUnderItsOwnSize() {
        let pool = BufferPool()
        let big = pool.take(50_000)
        pool.give(big, 50_000)
        let small = pool.take(30_000)
        XCTAssertEqual(small, big, "a 30,000-float request borrows the cached 50,000-float buffer")
        small.update(repeating: 1, count: 30_000)
        pool.give(small, 30_000)
        XCTAssertEqual(pool.take(50_000), big, "given back, it serves its own size again")
    }

    func testDoesNotBorrowMoreThanTwiceTheRequest() {
        let pool = BufferPool()
        let huge = pool.take(100_000)
        pool.give(huge, 100_000)
        let small = pool.take(40_000)
        XCTAssertNotEqual(small, huge)
        pool.give(small, 40_000)
    }
}

/// oneDNN's scratch arenas: one per run in flight, grown to the largest request and reused.
final class ScratchArenasTests: XCTestCase {
    func testArenasAreReusedAndGrow() {
        let arenas = ScratchArenas()
        let first = arenas.take(floats: 1_000)
        XCTAssertGreaterThanOrEqual(first.floats, 1_000)
        let second = arenas.take(floats: 10)   // first is lent out: a second arena
        XCTAssertFalse(first === second)
        arenas.give(first)
        arenas.give(second)
        XCTAssertEqual(arenas.idleFloats, 1_010)
        let grown = arenas.take(floats: 5_000)   // the largest idle one, grown
        XCTAssertTrue(grown === first)
        XCTAssertGreaterThanOrEqual(grown.floats, 5_000)
        grown.pointer[4_999] = 1   // the whole request is addressable
        arenas.give(grown)
        XCTAssertEqual(arenas.idleFloats, 5_010)
    }

    /// Large buffers start on a 2 MiB boundary (so huge pages can back them), small ones on 64 bytes; both are usable
    /// to their last byte and freed with `free`.
    func testLargeAllocationsAreHugePageAligned() {
        for bytes in [64, 4096, LargeAllocation.hugePage - 4, LargeAllocation.hugePage, 3 * LargeAllocation.hugePage + 12] {
            let p = LargeAllocation.allocate(bytes: bytes)
            let alignment = bytes >= LargeAllocation.hugePage ? LargeAllocation.hugePage : 64
            XCTAssertEqual(Int(bitPattern: p) % alignment, 0, "\(bytes) bytes")
            p.initializeMemory(as: UInt8.self, repeating: 7, count: bytes)
            XCTAssertEqual(p.load(fromByteOffset: bytes - 1, as: UInt8.self), 7)
            free(p)
        }
    }
}
