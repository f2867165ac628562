import Foundation
import NN
import Zoo

extension FuzzReaders {
    static func safetensors(_ bytes: [UInt8]) {
        _ = try? SafeTensors.read(data: Data(bytes), origin: "fuzz.safetensors")
    }

    /// A PyTorch .pth (legacy or zip, chosen by the content as the reader does).
    static func pth(_ bytes: [UInt8]) {
        _ = try? TorchStateDict(bytes: bytes, origin: "fuzz.pth")
    }
}
