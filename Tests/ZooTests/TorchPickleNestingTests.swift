import Foundation
import XCTest
@testable import Zoo

/// Pickles that nest values deeply or change them after storing them: freeing or printing such a value
/// recursed once per level (a million TUPLE1 opcodes overflowed the stack) or grew exponentially (a tuple
/// of two memo copies of itself, 25 times over, printed as 2²⁵ items in an error message).
final class TorchPickleNestingTests: XCTestCase {
    /// Magic, protocol version and sys info of a legacy file: what every crafted state-dict pickle follows.
    func legacyHeader() throws -> [UInt8] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "evil_global", withExtension: "pth", subdirectory: "Fixtures"))
        return Array([UInt8](try Data(contentsOf: url))[..<137])
    }

    func assertRefused(_ bytes: [UInt8], _ needles: String..., line: UInt = #line) {
        XCTAssertThrowsError(try TorchStateDict(bytes: bytes, origin: "nest.pth"), line: line) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("nest.pth: "), "the message should name the file: \(text)", line: line)
            for n in needles { XCTAssertTrue(text.contains(n), "expected “\(n)” in: \(text)", line: line) }
            XCTAssertLessThan(text.count, 2000, "the message should stay short", line: line)
        }
    }

    func testAMillionNestedTuplesAreRefusedNotOverflowingTheStack() throws {
        let pickle: [UInt8] = [0x80, 2, 0x29] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2e]  // (), TUPLE1 × 10⁶, STOP
        assertRefused(try legacyHeader() + pickle, "pickle opcode TUPLE1 at byte 171", "nests values 33 deep")
        // The first pickle (the magic number's) takes the same path.
        assertRefused(pickle, "nests values 33 deep")
    }

    func testNestedListsAndDictsCount() throws {
        // [[[…]]] by LIST, {'k': {'k': …}} by DICT: both nest one level per opcode.
        let lists: [UInt8] = [0x80, 2] + [UInt8](repeating: 0x28, count: 40) + [UInt8](repeating: 0x6c, count: 40) + [0x2e]
        assertRefused(try legacyHeader() + lists, "pickle opcode LIST", "nests values 33 deep")
        var dicts: [UInt8] = [0x7d]  // {}
        for _ in 0..<40 { dicts = [0x28, 0x8c, 1, 0x6b] + dicts + [0x64] }  // MARK 'k' <inner> DICT
        assertRefused(try legacyHeader() + [0x80, 2] + dicts + [0x2e], "pickle opcode DICT", "nests values 33 deep")
    }

    /// APPEND into a list that is already inside a tuple would deepen the tuple unnoticed; pickle never does it.
    func testChangingAStoredListIsRefused() throws {
        // [] BINPUT 0, TUPLE1, BINGET 0, [] APPEND, STOP
        let pickle: [UInt8] = [0x80, 2, 0x5d, 0x71, 0, 0x85, 0x68, 0, 0x5d, 0x61, 0x2e]
        assertRefused(try legacyHeader() + pickle, "APPEND at byte 146 changes a list or dict already stored")
    }

    /// A tensor size holding t₂₅ where tₖ₊₁ = (tₖ, tₖ): 100 bytes of pickle; the error names its kind, not its 2²⁵ items.
    func testErrorMessagesDoNotPrintExponentiallyLargeValues() throws {
        func unicode(_ s: String) -> [UInt8] { [0x8c, UInt8(s.utf8.count)] + Array(s.utf8) }
        var p: [UInt8] = [0x80, 2] + Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52]  // OrderedDict()
        p += unicode("w") + Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28]    // 'w', func, MARK
        p += [0x28] + unicode("storage") + Array("ctorch\nFloatStorage\n".utf8) + unicode("k") + unicode("cpu")
        p += [0x4b, 1, 0x74, 0x51]                                                           // numel 1, TUPLE, BINPERSID
        p += [0x4b, 0]                                                                       // offset 0
        p += [0x29]                                                                          // t₀ = ()
        for _ in 0..<25 { p += [0x71, 0, 0x68, 0, 0x86] }                                    // BINPUT 0, BINGET 0, TUPLE2
        p += [0x85, 0x29, 0x89] + Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52]  // size (t₂₅,), stride (), False, OrderedDict()
        p += [0x74, 0x52, 0x73, 0x2e]                                                        // TUPLE, REDUCE, SETITEM, STOP
        let start = Date()
        assertRefused(try legacyHeader() + p, "the tensor's size holds a tuple of 2")
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }
}
