/// A restricted pickle interpreter: only the opcodes a PyTorch state dict needs (protocols 2–4),
/// only the globals in `TorchGlobal`, and persistent ids only of the form
/// `('storage', torch.XStorage, key, location, numel[, None])`. It never imports or calls anything:
/// REDUCE of `OrderedDict` makes an empty dict and REDUCE of `_rebuild_tensor_v2` records a tensor
/// description. Every other GLOBAL, INST, OBJ, NEWOBJ, EXT or unknown opcode is refused with its name and
/// byte offset. Every length is bounds-checked against the pickle's end.
struct TorchPickle {
    let data: TorchBytes
    /// Storages by key, shared by every persistent id naming the same key (tensors that share storage).
    var storages: [String: TorchStorageRef] = [:]
    private var stack: [PickleValue] = []
    /// How deeply each stack value nests containers (tuples' depths never change; lists and dicts
    /// keep their own, see `depth(_:_:)`). Deep nesting is refused: freeing or printing a value
    /// recurses, so a pickle of a million TUPLE1 opcodes would otherwise overflow the thread's stack.
    private var depths: [Int] = []
    private var marks: [Int] = []
    private var memo: [Int: (value: PickleValue, depth: Int)] = [:]
    /// State dicts nest about 4 deep (metadata dict → OrderedDict → dict → int); far more is not a state dict.
    static let maxDepth = 32
    /// The offset of the opcode being interpreted (for error messages).
    private(set) var at = 0
    private var pos = 0, limit = 0, op: UInt8 = 0

    init(_ data: TorchBytes) { self.data = data }

    /// Interprets the pickle at `start` (ending by `limit`): its value and the offset just after STOP.
    mutating func run(from start: Int, limit: Int? = nil) throws -> (value: PickleValue, end: Int) {
        stack = []; depths = []; marks = []; memo = [:]
        pos = start; self.limit = min(limit ?? data.count, data.count)
        while pos < self.limit {
            at = pos; op = data.bytes[pos]; pos += 1
            if op == 0x2e {  // STOP
                return (try pop(), pos)
            }
            try step()
        }
        throw data.fail("the pickle starting at byte \(start) ends at byte \(self.limit) without its STOP opcode")
    }

    private var opName: String { Self.names[op] ?? "0x" + String(op, radix: 16) }

    private func fail(_ problem: String) -> TorchFileError {
        data.fail("pickle opcode \(opName) at byte \(at): \(problem)")
    }

    private func refuse(_ problem: String) -> TorchFileError {
        data.fail(problem, remedy: TorchFileError.notStateDict)
    }

    private mutating func take(_ n: Int) throws -> Range<Int> {
        let r = try data.range(pos, n, "pickle opcode \(opName) at byte \(at)", limit: limit < data.count ? limit : nil)
        pos = r.upperBound
        return r
    }

    private mutating func unsigned(_ width: Int) throws -> UInt64 {
        let r = try take(width)
        return try data.unsigned(at: r.lowerBound, width: width, "")
    }

    private mutating func length(_ width: Int) throws -> Int {
        let v = try unsigned(width)
        guard v <= UInt64(limit) else { throw fail("length \(v) is longer than the file") }
        return Int(v)
    }

    private mutating func text(_ width: Int) throws -> String {
        String(decoding: data.bytes[try take(try length(width))], as: UTF8.self)
    }

    private mutating func push(_ v: PickleValue, depth: Int = 0) throws {
        guard depth <= Self.maxDepth else {
            throw data.fail("pickle opcode \(opName) at byte \(at) nests values \(depth) deep (a state dict needs a few levels, at most \(Self.maxDepth) are read)",
                            remedy: TorchFileError.notStateDict)
        }
        stack.append(v); depths.append(depth)
    }

    /// A container holding `items`: one level deeper than the deepest, each list or dict in it sealed.
    private mutating func container(_ v: PickleValue, holding items: [(value: PickleValue, depth: Int)]) throws {
        for item in items { seal(item.value) }
        try push(v, depth: 1 + (items.map(\.depth).max() ?? 0))
    }

    /// Lists and dicts hold their current depth; other values the depth recorded when they were built.
    private func depth(_ v: PickleValue, _ recorded: Int) -> Int {
        switch v {
        case .list(let l): return l.depth
        case .dict(let d): return d.depth
        default: return recorded
        }
    }

    /// Marks a list or dict stored inside another container: changing it later could deepen its
    /// container unnoticed. Pickle writes every child whole before storing it, so no state dict does.
    private func seal(_ v: PickleValue) {
        switch v {
        case .list(let l): l.sealed = true
        case .dict(let d): d.sealed = true
        default: break
        }
    }

    private mutating func popWithDepth() throws -> (value: PickleValue, depth: Int) {
        guard stack.count > (marks.last ?? 0) else { throw fail("the stack is empty (malformed pickle)") }
        let v = stack.removeLast()
        return (v, depth(v, depths.removeLast()))
    }

    private mutating func pop() throws -> PickleValue { try popWithDepth().value }

    private func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.last else { throw fail("the stack is empty (malformed pickle)") }
        return v
    }

    private func topWithDepth() throws -> (value: PickleValue, depth: Int) {
        let v = try top()
        return (v, depth(v, depths[depths.count - 1]))
    }

    private mutating func popMark() throws -> [(value: PickleValue, depth: Int)] {
        guard let m = marks.popLast() else { throw fail("no MARK before it (malformed pickle)") }
        defer { stack.removeSubrange(m...); depths.removeSubrange(m...) }
        return zip(stack[m...], depths[m...]).map { ($0, depth($0, $1)) }
    }

    private func key(_ v: PickleValue) throws -> PickleDict.Key {
        switch v {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        default: throw fail("a dict key is a \(v.kind); only str and int keys are accepted")
        }
    }

    /// The dict on top of the stack, about to receive items of `depth`.
    private func dict(receiving depth: Int) throws -> PickleDict {
        guard case .dict(let d) = try top() else { throw fail("the target is a \(try top().kind), not a dict") }
        try grow(sealed: d.sealed, from: d.depth, receiving: depth)
        d.depth = max(d.depth, depth + 1)
        return d
    }

    /// The list on top of the stack, about to receive items of `depth`.
    private func list(receiving depth: Int) throws -> PickleList {
        guard case .list(let l) = try top() else { throw fail("the target is a \(try top().kind), not a list") }
        try grow(sealed: l.sealed, from: l.depth, receiving: depth)
        l.depth = max(l.depth, depth + 1)
        return l
    }

    private func grow(sealed: Bool, from: Int, receiving depth: Int) throws {
        guard !sealed else {
            throw data.fail("pickle opcode \(opName) at byte \(at) changes a list or dict already stored in another value",
                            remedy: TorchFileError.notStateDict)
        }
        guard depth + 1 <= Self.maxDepth else {
            throw data.fail("pickle opcode \(opName) at byte \(at) nests values \(depth + 1) deep (at most \(Self.maxDepth) are read)",
                            remedy: TorchFileError.notStateDict)
        }
    }

    private mutating func resolve(module: String, name: String) throws -> PickleValue {
        guard let g = TorchGlobal(module: module, name: name) else {
            throw refuse("pickle \(opName) '\(module).\(name)' at byte \(at) is not allowed (only \(TorchGlobal.allowedNames))")
        }
        return .global(g)
    }

    private mutating func line() throws -> String {
        let end = min(limit, pos + 256)
        guard let nl = data.bytes[pos..<end].firstIndex(of: 0x0a) else { throw fail("no newline-terminated name within 256 bytes") }
        defer { pos = nl + 1 }
        return String(decoding: data.bytes[pos..<nl], as: UTF8.self)
    }

    private mutating func step() throws {
        switch op {
        case 0x80: _ = try take(1)                                       // PROTO
        case 0x95: _ = try take(8)                                       // FRAME (frames are not needed here)
        case 0x28: marks.append(stack.count)                             // MARK
        case 0x7d: try push(.dict(PickleDict()))                         // EMPTY_DICT
        case 0x5d: try push(.list(PickleList()))                         // EMPTY_LIST
        case 0x29: try push(.tuple([]), depth: 1)                        // EMPTY_TUPLE
        case 0x74: let items = try popMark(); try container(.tuple(items.map(\.value)), holding: items)  // TUPLE
        case 0x85, 0x86, 0x87:                                           // TUPLE1, TUPLE2, TUPLE3
            var items: [(value: PickleValue, depth: Int)] = []
            for _ in 0..<Int(op - 0x84) { items.insert(try popWithDepth(), at: 0) }
            try container(.tuple(items.map(\.value)), holding: items)
        case 0x6c:                                                       // LIST
            let items = try popMark(), l = PickleList()
            l.items = items.map(\.value)
            try container(.list(l), holding: items)
            l.depth = depths[depths.count - 1]
        case 0x64:                                                       // DICT
            let items = try popMark(), d = PickleDict()
            guard items.count % 2 == 0 else { throw fail("odd number of items for a dict") }
            for i in stride(from: 0, to: items.count, by: 2) { d.set(try key(items[i].value), items[i + 1].value) }
            try container(.dict(d), holding: items)
            d.depth = depths[depths.count - 1]
        case 0x61:                                                       // APPEND
            let v = try popWithDepth(); try list(receiving: v.depth).items.append(v.value); seal(v.value)
        case 0x65:                                                       // APPENDS
            let items = try popMark()
            try list(receiving: items.map(\.depth).max() ?? 0).items += items.map(\.value)
            for item in items { seal(item.value) }
        case 0x73:                                                       // SETITEM
            let v = try popWithDepth(), k = try key(try pop())
            try dict(receiving: v.depth).set(k, v.value); seal(v.value)
        case 0x75:                                                       // SETITEMS
            let items = try popMark()
            guard items.count % 2 == 0 else { throw fail("odd number of items for a dict") }
            let d = try dict(receiving: items.map(\.depth).max() ?? 0)
            for i in stride(from: 0, to: items.count, by: 2) { d.set(try key(items[i].value), items[i + 1].value); seal(items[i + 1].value) }
        case 0x4a: try push(.int(Int64(Int32(truncatingIfNeeded: try unsigned(4)))))  // BININT
        case 0x4b: try push(.int(Int64(try unsigned(1))))                   // BININT1
        case 0x4d: try push(.int(Int64(try unsigned(2))))                   // BININT2
        case 0x8a:                                                       // LONG1
            let bytes = Array(data.bytes[try take(try length(1))])
            if bytes.count > 8 { try push(.bigInt(bytes)); break }
            var v: UInt64 = bytes.last.map { $0 >= 0x80 ? ~0 : 0 } ?? 0  // sign extension
            for b in bytes.reversed() { v = v << 8 | UInt64(b) }
            try push(.int(Int64(bitPattern: v)))
        case 0x47:                                                       // BINFLOAT (big-endian)
            let r = try take(8)
            try push(.float(Double(bitPattern: data.bytes[r].reduce(0) { $0 << 8 | UInt64($1) })))
        case 0x4e: try push(.none)                                           // NONE
        case 0x88: try push(.bool(true))                                     // NEWTRUE
        case 0x89: try push(.bool(false))                                    // NEWFALSE
        case 0x58: try push(.string(try text(4)))                            // BINUNICODE
        case 0x8c: try push(.string(try text(1)))                            // SHORT_BINUNICODE
        case 0x8d: try push(.string(try text(8)))                            // BINUNICODE8
        case 0x54: try push(.string(try text(4)))                            // BINSTRING (Python 2 str)
        case 0x55: try push(.string(try text(1)))                            // SHORT_BINSTRING
        case 0x42: try push(.bytes(Array(data.bytes[try take(try length(4))])))  // BINBYTES
        case 0x43: try push(.bytes(Array(data.bytes[try take(try length(1))])))  // SHORT_BINBYTES
        case 0x71: memo[Int(try unsigned(1))] = try topWithDepth()      // BINPUT
        case 0x72: memo[Int(try unsigned(4))] = try topWithDepth()      // LONG_BINPUT
        case 0x94: memo[memo.count] = try topWithDepth()                 // MEMOIZE
        case 0x68, 0x6a:                                                 // BINGET, LONG_BINGET
            let i = Int(try unsigned(op == 0x68 ? 1 : 4))
            guard let v = memo[i] else { throw fail("memo entry \(i) was never stored") }
            try push(v.value, depth: v.depth)
        case 0x63: try push(try resolve(module: try line(), name: try line()))  // GLOBAL
        case 0x93:                                                       // STACK_GLOBAL
            guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                throw fail("module and name must be strings")
            }
            try push(try resolve(module: module, name: name))
        case 0x52: let args = try pop(); try push(try reduce(try pop(), args), depth: 1)  // REDUCE
        case 0x62:                                                       // BUILD: only an OrderedDict's `_metadata`
            let state = try pop()
            guard case .dict = try top(), case .dict = state else {
                throw refuse("pickle BUILD at byte \(at) sets the state of a \(try top().kind) (only a state dict's metadata is accepted)")
            }
        case 0x51: try push(try persistentLoad(try pop()), depth: 1)    // BINPERSID
        default:
            throw refuse("pickle opcode \(opName) at byte \(at) is not supported (it builds objects other than a state dict's)")
        }
    }
}

extension TorchPickle {
    /// Opcode names for error messages (the refused ones too).
    static let names: [UInt8: String] = [
        0x80: "PROTO", 0x95: "FRAME", 0x2e: "STOP", 0x28: "MARK", 0x7d: "EMPTY_DICT", 0x5d: "EMPTY_LIST", 0x29: "EMPTY_TUPLE",
        0x74: "TUPLE", 0x85: "TUPLE1", 0x86: "TUPLE2", 0x87: "TUPLE3", 0x6c: "LIST", 0x64: "DICT", 0x61: "APPEND",
        0x65: "APPENDS", 0x73: "SETITEM", 0x75: "SETITEMS", 0x4a: "BININT", 0x4b: "BININT1", 0x4d: "BININT2",
        0x8a: "LONG1", 0x8b: "LONG4", 0x47: "BINFLOAT", 0x4e: "NONE", 0x88: "NEWTRUE", 0x89: "NEWFALSE",
        0x58: "BINUNICODE", 0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING",
        0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x8e: "BINBYTES8", 0x71: "BINPUT", 0x72: "LONG_BINPUT", 0x94: "MEMOIZE",
        0x68: "BINGET", 0x6a: "LONG_BINGET", 0x63: "GLOBAL", 0x93: "STACK_GLOBAL", 0x52: "REDUCE", 0x62: "BUILD",
        0x51: "BINPERSID", 0x50: "PERSID", 0x69: "INST", 0x6f: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX",
        0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x49: "INT", 0x4c: "LONG", 0x46: "FLOAT", 0x53: "STRING",
        0x56: "UNICODE", 0x70: "PUT", 0x67: "GET", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x8f: "EMPTY_SET",
        0x90: "ADDITEMS", 0x91: "FROZENSET", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]
}
