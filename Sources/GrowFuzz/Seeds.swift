#if !FUZZING
import Foundation
import Datasets
import Engine
import NN

/// The generated part of the seed corpus (Tests/Fuzz/corpus/READER/): small valid files made by the
/// project's own encoders, and hand-broken ones that reach each reader's checks. The .pth seeds are
/// the small torch fixtures, copied by scripts/make_fuzz_corpus.sh.
enum Seeds {
    static func write(to root: String) throws {
        for (reader, files) in ["idx": idx(), "csv": csv(), "jpeg": try jpeg(), "png": try png(), "safetensors": try safetensors()] {
            let dir = "\(root)/\(reader)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (name, bytes) in files {
                guard FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data(bytes)) else {
                    throw DatasetError("\(dir)/\(name)", "cannot be written")
                }
            }
        }
    }

    static func be32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    static func idx() -> [(String, [UInt8])] {
        func file(_ dims: [UInt32], _ count: Int) -> [UInt8] {
            [0, 0, 8, UInt8(dims.count)] + dims.flatMap(be32) + (0..<count).map { UInt8($0 % 251) }
        }
        return [
            ("images.idx", file([3, 4, 4], 48)), ("labels.idx", file([3], 3)), ("rgb.idx", file([2, 2, 2, 3], 24)),
            ("truncated.idx", file([3, 4, 4], 40)), ("wrap.idx", file([65536, 65536, 65536, 65536], 0)),
            ("empty_huge.idx", file([0, 0xFFFF_FFFF, 0xFFFF_FFFF, 3], 0)), ("float.idx", [0, 0, 0x0D, 1, 0, 0, 0, 1, 1, 2, 3, 4]),
            ("images.idx.gz", gzip(file([3, 4, 4], 48))),
        ]
    }

    static func csv() -> [(String, [UInt8])] {
        [
            ("header.csv", "label,p1,p2,p3,p4\n1,0,255,3,4\n0,9,8,7,6\n"), ("last.csv", "0,1,2,3,7\n255,254,253,252,2\n\n"),
            ("long_digits.csv", "1,2,3,99999999999999999999999999,1\n"), ("huge_label.csv", "1,2,3,4,999999999999\n"),
            ("ragged.csv", "1,2,3,4,5\n1,2,3\n"), ("crlf.csv", "1, 2 ,3,4,0\r\n5,6,7,8,1\r\n"),
        ].map { ($0.0, Array($0.1.utf8)) }
    }

    static func jpeg() throws -> [(String, [UInt8])] {
        let grey = try JPEGCodec.encode(pattern(8, 8, 1)), rgb = try JPEGCodec.encode(pattern(17, 9, 3), quality: 50)
        var huge = grey  // the frame header claims 65535×65535
        if let sof = (0..<huge.count - 8).first(where: { huge[$0] == 0xFF && huge[$0 + 1] == 0xC0 }) {
            huge.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFF, 0xFF, 0xFF, 0xFF])
        }
        return [("grey.jpg", grey), ("rgb.jpg", rgb), ("huge.jpg", huge), ("truncated.jpg", Array(rgb.prefix(rgb.count / 2)))]
    }

    static func png() throws -> [(String, [UInt8])] {
        let grey = try PNGCodec.encode(pattern(4, 4, 1)), rgb = try PNGCodec.encode(pattern(5, 3, 3))
        return [("grey.png", grey), ("rgb.png", rgb), ("huge.png", withIHDR(grey, width: 0x7FFF_FFFF, height: 0x7FFF_FFFF)),
                ("truncated.png", Array(rgb.prefix(rgb.count - 20)))]
    }

    /// `png` with its IHDR's size replaced (and the chunk's CRC recomputed, so libpng reads on).
    static func withIHDR(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
        var out = png
        out.replaceSubrange(16..<24, with: be32(width) + be32(height))
        out.replaceSubrange(29..<33, with: be32(PNGChunks.crc32(Array(out[12..<29]))))
        return out
    }

    static func safetensors() throws -> [(String, [UInt8])] {
        let a = Tensor(shape: [2, 3], values: (0..<6).map(Float.init)), b = Tensor(shape: [3], values: [1, 2, 3])
        let valid = [UInt8](try SafeTensors.data([("a", a), ("b", b)], metadata: ["format": "pt"]))
        func file(_ json: String, data: Int) -> [UInt8] {
            withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { Array($0) } + Array(json.utf8) + [UInt8](repeating: 1, count: data)
        }
        return [
            ("valid.safetensors", valid),
            ("f16.safetensors", file(#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: 4)),
            ("overlap.safetensors", file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8)),
            ("overflow.safetensors", file(#"{"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#, data: 0)),
            ("huge_length.safetensors", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B, 0x7D]),
        ]
    }

    static func pattern(_ w: Int, _ h: Int, _ c: Int) -> Image {
        Image(width: w, height: h, channels: c, pixels: (0..<(w * h * c)).map { UInt8(($0 * 37 + $0 / w * 11) % 256) })
    }

    /// gzip through the system tool (the project only inflates).
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        let p = Process(), input = Pipe(), output = Pipe()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-n", "-c"]
        p.standardInput = input; p.standardOutput = output
        guard (try? p.run()) != nil else { return [] }
        input.fileHandleForWriting.write(Data(bytes)); try? input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](out)
    }

}
#endif
