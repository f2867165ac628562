import Foundation

/// The reader under fuzzing: GROW_FUZZ_READER (libFuzzer passes no arguments of ours).
let fuzzReader = ProcessInfo.processInfo.environment["GROW_FUZZ_READER"] ?? ""

#if FUZZING
/// libFuzzer's entry (built by scripts/fuzz.sh with -sanitize=fuzzer,address -D FUZZING).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard FuzzReaders.all[fuzzReader] != nil else {
        FileHandle.standardError.write(Data("GROW_FUZZ_READER must be one of: \(FuzzReaders.names)\n".utf8))
        exit(2)
    }
    FuzzReaders.run(fuzzReader, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// libFuzzer's driver (in the fuzzer runtime since LLVM 12).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable target's entry as `main` through this symbol, so libFuzzer's own
/// `main` is left out and the driver is started from here.
@_cdecl("GrowFuzz_main")
public func growFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzOneInput($0, $1) }
}
#else
/// Without libFuzzer: `GrowFuzz [--reader R] FILE|FOLDER…` replays inputs (a crash file, a corpus)
/// through one reader; `GrowFuzz --make-seeds DIR` writes the generated part of the seed corpus.
@main
struct GrowFuzzMain {
    static func main() throws {
        var args = Array(CommandLine.arguments.dropFirst())
        if args.first == "--make-seeds", args.count == 2 {
            try Seeds.write(to: args[1])
            return
        }
        var reader = fuzzReader
        if args.first == "--reader", args.count >= 2 { reader = args[1]; args.removeFirst(2) }
        guard FuzzReaders.all[reader] != nil, !args.isEmpty else {
            print("usage: GrowFuzz [--reader \(FuzzReaders.names)] FILE|FOLDER…   (or GROW_FUZZ_READER=…)")
            print("       GrowFuzz --make-seeds DIR")
            exit(2)
        }
        var count = 0
        let start = Date()
        for path in args {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let files = isDir.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { print("cannot read \(file)"); exit(1) }
                FuzzReaders.run(reader, [UInt8](data))
                count += 1
            }
        }
        print("\(reader): \(count) inputs replayed without a crash in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }
}
#endif
